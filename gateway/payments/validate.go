package payments

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vnd"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/invalid"
)

// CreateRequest is the body of POST /v1/payments. Amounts are strings of
// whole đồng; pointer fields distinguish "absent" from "empty".
type CreateRequest struct {
	Service     string            `json:"service"`
	Agency      *string           `json:"agency,omitempty"`
	Reference   string            `json:"reference"`
	Amount      *string           `json:"amount,omitempty"`
	Quote       *string           `json:"quote,omitempty"`
	Payer       *Payer            `json:"payer,omitempty"`
	Description *string           `json:"description,omitempty"`
	ExpiresAt   *time.Time        `json:"expires_at,omitempty"`
	ReturnURL   *string           `json:"return_url,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// Expiry bounds: long enough to pay from a phone, short enough that a QR
// code shown on a public screen does not stay payable for weeks.
const (
	MinExpiry     = 5 * time.Minute
	MaxExpiry     = 7 * 24 * time.Hour
	DefaultExpiry = 24 * time.Hour
)

var (
	codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,47}$`)
	idNumber    = regexp.MustCompile(`^(?:[0-9]{9}|[0-9]{12})$`)
	taxCode     = regexp.MustCompile(`^[0-9]{10}(?:-[0-9]{3})?$`)
	metaKey     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)
	// References per kind: a dossier number (fees, charges), a fine decision
	// number like 1234/QD-XPHC, a tax reference (10–24 digits), a social
	// insurance unit code like TZ0123A.
	references = map[catalog.Kind]*regexp.Regexp{
		catalog.KindFee:       regexp.MustCompile(`^[A-Z0-9][A-Z0-9./-]{4,39}$`),
		catalog.KindCharge:    regexp.MustCompile(`^[A-Z0-9][A-Z0-9./-]{4,39}$`),
		catalog.KindFine:      regexp.MustCompile(`^[0-9]{1,8}/QD-[A-Z0-9]{2,20}$`),
		catalog.KindTax:       regexp.MustCompile(`^[0-9]{10,24}$`),
		catalog.KindInsurance: regexp.MustCompile(`^(?:[A-Z]{2}[0-9]{4}[A-Z0-9]{1,3}|GD[1-5][0-9]{12})$`),
	}
	referenceHelp = map[catalog.Kind]string{
		catalog.KindFee:       "a dossier number: 5–40 of A–Z, 0–9, '.', '/', '-'",
		catalog.KindCharge:    "a dossier number: 5–40 of A–Z, 0–9, '.', '/', '-'",
		catalog.KindFine:      "a fine decision number such as 1234/QD-XPHC",
		catalog.KindTax:       "a tax payment reference of 10–24 digits",
		catalog.KindInsurance: "a social-insurance unit code such as TZ0123A, or a household health-insurance card code GD…",
	}
)

// validateShape checks everything that needs no database.
func (r *CreateRequest) validateShape(now time.Time) (amount *decimal.Decimal, errs invalid.Errors) {
	if !codePattern.MatchString(r.Service) {
		errs.Add("service", "invalid", "a service code from GET /v1/services is required")
	}
	if r.Agency != nil && !codePattern.MatchString(*r.Agency) {
		errs.Add("agency", "invalid", "an agency code from GET /v1/agencies")
	}
	if r.Reference == "" {
		errs.Add("reference", "required", "the dossier, decision, tax or unit reference is required")
	}
	if r.Amount != nil {
		a, err := vnd.Parse(*r.Amount)
		if err != nil {
			errs.Add("amount", "invalid_amount", "a positive whole number of đồng as a string, such as \"1250000\" (VND has no minor unit)")
		} else {
			amount = &a
		}
	}
	if r.Quote != nil && !strings.HasPrefix(*r.Quote, "quo_") {
		errs.Add("quote", "invalid", "a quote id from POST /v1/quotes")
	}
	r.validatePayer(&errs)
	if r.Description != nil && !plainText(*r.Description, 200) {
		errs.Add("description", "invalid", "at most 200 characters of plain text")
	}
	if r.ExpiresAt != nil {
		d := r.ExpiresAt.Sub(now)
		if d < MinExpiry || d > MaxExpiry {
			errs.Add("expires_at", "out_of_range", "between 5 minutes and 7 days from now")
		}
	}
	if r.ReturnURL != nil && !validReturnURL(*r.ReturnURL) {
		errs.Add("return_url", "invalid", "an absolute https URL (http only for localhost), at most 2048 characters")
	}
	validateMetadata(r.Metadata, &errs)
	return amount, errs
}

func (r *CreateRequest) validatePayer(errs *invalid.Errors) {
	if r.Payer == nil {
		errs.Add("payer", "required", "payer.name and payer.id_number or payer.tax_code are required")
		return
	}
	p := r.Payer
	if !plainText(p.Name, 100) || strings.TrimSpace(p.Name) == "" {
		errs.Add("payer.name", "invalid", "1–100 characters of plain text")
	}
	if p.IDNumber != "" && !idNumber.MatchString(p.IDNumber) {
		errs.Add("payer.id_number", "invalid", "a 12-digit citizen ID number (or a 9-digit legacy one)")
	}
	if p.TaxCode != "" && !taxCode.MatchString(p.TaxCode) {
		errs.Add("payer.tax_code", "invalid", "a 10-digit tax code, optionally with a -NNN branch suffix")
	}
	if p.IDNumber == "" && p.TaxCode == "" {
		errs.Add("payer", "required", "payer.id_number or payer.tax_code is required")
	}
}

// validateForService checks what depends on the catalogue entry.
func (r *CreateRequest) validateForService(s catalog.Service) (errs invalid.Errors) {
	if re := references[s.Kind]; re != nil && !re.MatchString(r.Reference) {
		errs.Add("reference", "invalid_reference", "for a "+string(s.Kind)+" payment, "+referenceHelp[s.Kind])
	}
	if (s.Kind == catalog.KindTax || s.Kind == catalog.KindInsurance) && (r.Payer == nil || r.Payer.TaxCode == "") {
		errs.Add("payer.tax_code", "required", "tax and insurance payments are made under the payer's tax code")
	}
	switch s.AmountRule {
	case catalog.RulePayerDeclared:
		if r.Amount == nil {
			errs.Add("amount", "required", "this service's amount is declared by the payer: pass amount")
		}
	case catalog.RuleComputed:
		if r.Quote == nil {
			errs.Add("quote", "required", ErrQuoteRequired.Error())
		}
	}
	return errs
}

func validateMetadata(m map[string]string, errs *invalid.Errors) {
	if len(m) > 20 {
		errs.Add("metadata", "too_many_keys", "at most 20 keys")
	}
	for k, v := range m {
		if !metaKey.MatchString(k) {
			errs.Add("metadata", "invalid_key", "keys are 1–40 of A–Z, a–z, 0–9, '_', '.', '-'")
			return
		}
		if !plainText(v, 500) {
			errs.Add("metadata."+k, "invalid", "at most 500 characters of plain text")
		}
	}
}

func validReturnURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	host := u.Hostname()
	return u.Scheme == "https" || (u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1"))
}

// PlainText is plainText for other packages' free-text fields.
func PlainText(s string, max int) bool { return plainText(s, max) }

// plainText rejects control characters and the invisible or direction-
// changing code points that make one string look like another.
func plainText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
