// Package receipts issues the electronic receipt (biên lai điện tử) of
// every succeeded payment, signed with the gateway's Ed25519 key so an
// agency can accept it as proof without asking the gateway: numbered from a
// gap-free sequence per agency, series and year, in the transaction that
// settles the payment, and never edited afterwards (a refund adds a signed
// adjustment that references it). docs/RECEIPTS.md describes the fields,
// the canonical form and which rules are checked against the legal texts.
package receipts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on hosts without a zoneinfo database
)

// Version is the version of the canonical form, its "v" field.
const Version = 1

// Defaults of form and series (docs/RECEIPTS.md says what is verified).
const (
	DefaultForm         = "01BLP0-001"
	DefaultSeriesPrefix = "CP"
)

// Series is the default series symbol of a year: the prefix, the year's
// last two digits and E for electronic, e.g. CP-26E.
func Series(year int) string { return fmt.Sprintf("%s-%02dE", DefaultSeriesPrefix, year%100) }

// FormatNumber prints a receipt number on seven digits, as printed forms do.
func FormatNumber(n int64) string { return fmt.Sprintf("%07d", n) }

// Zone is the time zone receipts are dated in.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Fields are what a receipt certifies, exactly the keys of its canonical
// form. Every value is a string except v and livemode, so that amounts
// never pass through a float in any verifier's JSON parser.
type Fields struct {
	V             int    `json:"v"`
	ID            string `json:"id"`
	Payment       string `json:"payment"`
	Livemode      bool   `json:"livemode"`
	Form          string `json:"form"`
	Series        string `json:"series"`
	Number        string `json:"number"`
	AgencyCode    string `json:"agency_code"`
	AgencyName    string `json:"agency_name"`
	AgencyAddress string `json:"agency_address"`
	AgencyTaxCode string `json:"agency_tax_code"`
	PayerName     string `json:"payer_name"`
	PayerID       string `json:"payer_id_masked"`
	Kind          string `json:"kind"`
	ServiceCode   string `json:"service_code"`
	ServiceName   string `json:"service_name"`
	Reference     string `json:"reference"`
	Amount        string `json:"amount"`
	AmountWords   string `json:"amount_words"`
	Currency      string `json:"currency"`
	Method        string `json:"method"`
	MethodName    string `json:"method_name"`
	ProviderTxnID string `json:"provider_txn_id"`
	PaidAt        string `json:"paid_at"`
	IssuedAt      string `json:"issued_at"`
	KeyID         string `json:"key_id"`
}

// Receipt is a stored receipt: its fields, the signed bytes they were read
// from, and the adjustments made to it since.
type Receipt struct {
	Object string `json:"object"`
	Fields
	Canonical   string       `json:"canonical"`
	Signature   string       `json:"signature"`
	VerifyURL   string       `json:"verify_url"`
	Adjustments []Adjustment `json:"adjustments"`
}

// VerifyPath is where the public verification page of the receipt is; the
// agency is in the query because series and number repeat across agencies.
func (r Receipt) VerifyPath() string {
	return "/verify/" + r.Series + "/" + r.Number + "?agency=" + r.AgencyCode
}

// Canonical is the signed form of a value: its JSON object with keys
// sorted bytewise, no insignificant whitespace, no HTML escaping, UTF-8
// as is. Going through a map is what sorts the keys.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// ErrUnknownKey is a receipt signed by a key the gateway never published.
var ErrUnknownKey = errors.New("receipts: unknown signing key")

// fromCanonical rebuilds a receipt's fields from its signed bytes.
func fromCanonical(canonical string, into any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(canonical)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("receipts: canonical form: %w", err)
	}
	return nil
}

// MaskID keeps the last four characters of an identity number: enough for
// the payer to recognise it, too little to reuse it.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) <= 4 {
		return string(r)
	}
	out := make([]rune, len(r))
	for i := range r {
		out[i] = '*'
		if i >= len(r)-4 {
			out[i] = r[i]
		}
	}
	return string(out)
}

// methodNames say how the payer paid, in the words a receipt prints.
var methodNames = map[string]string{
	"vietqr":  "Chuyển khoản ngân hàng (VietQR)",
	"momo":    "Ví điện tử MoMo",
	"zalopay": "Ví điện tử ZaloPay",
	"vnpay":   "Cổng thanh toán VNPAY",
}

func methodName(provider string) string {
	if n, ok := methodNames[provider]; ok {
		return n
	}
	return provider
}

func formatTime(t time.Time) string { return t.In(Zone).Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }
