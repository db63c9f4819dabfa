package catalog

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// NAPASBanks are the bank BINs an agency's account may be at, with the
// name shown to payers (SBV/NAPAS list, docs/PROVIDERS.md; 970401 is
// BIDV's legacy BIN). A BIN outside it would make a QR no bank app pays.
var NAPASBanks = map[string]string{
	"970436": "Vietcombank", "970415": "VietinBank", "970418": "BIDV", "970401": "BIDV", "970405": "Agribank",
	"970422": "MB", "970407": "Techcombank", "970416": "ACB", "970432": "VPBank", "970423": "TPBank",
	"970403": "Sacombank", "970441": "VIB", "970443": "SHB", "970448": "OCB", "970426": "MSB",
	"970437": "HDBank", "970431": "Eximbank", "970454": "Viet Capital", "970449": "LienVietPostBank",
	"970428": "Nam A", "970440": "SeABank", "970425": "ABBank", "970419": "NCB",
}

// ErrAgencyExists is a create of a code already taken.
var ErrAgencyExists = errors.New("an agency with this code exists")

// AgencyInput creates an agency (every field but the optional ones) or
// changes one (nil fields are kept).
type AgencyInput struct {
	Code          *string `json:"code,omitempty"`
	Name          *string `json:"name,omitempty"`
	NameEN        *string `json:"name_en,omitempty"`
	ProvinceCode  *string `json:"province_code,omitempty"`
	BankBIN       *string `json:"bank_bin,omitempty"`
	AccountNumber *string `json:"account_number,omitempty"`
	AccountName   *string `json:"account_name,omitempty"`
	KBNNUnitCode  *string `json:"kbnn_unit_code,omitempty"`
	BudgetChapter *string `json:"budget_chapter,omitempty"`
	Active        *bool   `json:"active,omitempty"`
}

var (
	agencyCode  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)
	province    = regexp.MustCompile(`^[0-9]{2}$`)
	accountNo   = regexp.MustCompile(`^[A-Za-z0-9]{1,19}$`)
	accountName = regexp.MustCompile(`^[A-Z0-9 .,-]{1,70}$`)
	unitCode    = regexp.MustCompile(`^[0-9]{4}$`)
	chapter     = regexp.MustCompile(`^[0-9]{3}$`)
)

// apply merges in over a and reports every bad field at once.
func (in AgencyInput) apply(a Agency, creating bool) (Agency, error) {
	var e invalid.Errors
	set := func(field string, v *string, dst *string, ok func(string) bool, code, detail string) {
		if v == nil {
			if creating && required[field] {
				e.Add(field, "required", detail)
			}
			return
		}
		if !ok(*v) {
			e.Add(field, code, detail)
			return
		}
		*dst = *v
	}
	if creating {
		set("code", in.Code, &a.Code, agencyCode.MatchString, "invalid_code", "2 to 32 upper-case letters, digits or hyphens")
	} else if in.Code != nil && *in.Code != a.Code {
		e.Add("code", "immutable", "an agency's code cannot change")
	}
	set("name", in.Name, &a.Name, func(s string) bool { l := len([]rune(strings.TrimSpace(s))); return l >= 1 && l <= 200 }, "invalid_length", "1 to 200 characters")
	set("name_en", in.NameEN, &a.NameEN, func(s string) bool { l := len([]rune(strings.TrimSpace(s))); return l <= 200 }, "invalid_length", "at most 200 characters (empty removes it)")
	set("province_code", in.ProvinceCode, &a.ProvinceCode, func(s string) bool { return s == "" || province.MatchString(s) }, "invalid_province", "two-digit GSO province code, or empty")
	set("bank_bin", in.BankBIN, &a.BankBIN, func(s string) bool { _, ok := NAPASBanks[s]; return ok }, "unknown_bank", "the 6-digit NAPAS BIN of a bank on the NAPAS list")
	set("account_number", in.AccountNumber, &a.AccountNumber, accountNo.MatchString, "invalid_account_number", "1 to 19 letters or digits (VietQR 38.01.01)")
	set("account_name", in.AccountName, &a.AccountName, accountName.MatchString, "invalid_account_name", "as the bank spells it: 1 to 70 upper-case letters without diacritics, digits, spaces and . , -")
	set("kbnn_unit_code", in.KBNNUnitCode, &a.KBNNUnitCode, func(s string) bool { return s == "" || unitCode.MatchString(s) }, "invalid_kbnn_unit_code", "the State Treasury unit's 4 digits, or empty")
	set("budget_chapter", in.BudgetChapter, &a.BudgetChapter, func(s string) bool { return s == "" || chapter.MatchString(s) }, "invalid_budget_chapter", "the 3-digit budget chapter code, or empty")
	if in.Active != nil {
		a.Active = *in.Active
	}
	if (a.KBNNUnitCode == "") != (a.BudgetChapter == "") {
		e.Add("budget_chapter", "treasury_pair", "a treasury collection point has both kbnn_unit_code and budget_chapter, or neither")
	}
	a.BankName = NAPASBanks[a.BankBIN]
	return a, e.Err()
}

var required = map[string]bool{"code": true, "name": true, "bank_bin": true, "account_number": true, "account_name": true}

// CreateAgency validates and inserts an agency (active unless in says not).
func CreateAgency(ctx context.Context, db pg.Querier, in AgencyInput) (Agency, error) {
	a, err := in.apply(Agency{Active: true}, true)
	if err != nil {
		return a, err
	}
	_, err = db.Exec(ctx, `
		INSERT INTO agencies (code, name, name_en, province_code, bank_bin, bank_name, account_number, account_name, kbnn_unit_code, budget_chapter, active)
		VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6, $7, $8, nullif($9, ''), nullif($10, ''), $11)`,
		a.Code, a.Name, a.NameEN, a.ProvinceCode, a.BankBIN, a.BankName, a.AccountNumber, a.AccountName, a.KBNNUnitCode, a.BudgetChapter, a.Active)
	if err = pg.Translate(err); errors.Is(err, pg.ErrConflict) {
		return a, ErrAgencyExists
	}
	return a, err
}

// UpdateAgency changes the fields in sets, returning the agency before and
// after; it locks the row so concurrent changes are audited in order.
func UpdateAgency(ctx context.Context, db pg.Querier, code string, in AgencyInput) (before, after Agency, err error) {
	before, err = scanAgency(db.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE code = $1 FOR UPDATE`, code))
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = ErrUnknownAgency
		}
		return before, after, err
	}
	if after, err = in.apply(before, false); err != nil {
		return before, after, err
	}
	_, err = db.Exec(ctx, `
		UPDATE agencies SET name = $2, name_en = nullif($3, ''), province_code = nullif($4, ''), bank_bin = $5, bank_name = $6,
			account_number = $7, account_name = $8, kbnn_unit_code = nullif($9, ''), budget_chapter = nullif($10, ''), active = $11
		WHERE code = $1`,
		code, after.Name, after.NameEN, after.ProvinceCode, after.BankBIN, after.BankName, after.AccountNumber, after.AccountName,
		after.KBNNUnitCode, after.BudgetChapter, after.Active)
	return before, after, pg.Translate(err)
}
