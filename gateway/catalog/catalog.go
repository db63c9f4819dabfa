// Package catalog holds what can be paid for: the agencies that receive the
// money (with the bank account the citizen transfers to) and the services
// with their amount rules.
package catalog

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Kind is what the state is owed: the payment's legal nature.
type Kind string

const (
	KindFee       Kind = "fee"
	KindCharge    Kind = "charge"
	KindTax       Kind = "tax"
	KindFine      Kind = "fine"
	KindInsurance Kind = "insurance"
)

// AmountRule says where a service's amount comes from.
type AmountRule string

const (
	RuleFixed         AmountRule = "fixed"
	RulePayerDeclared AmountRule = "payer_declared"
	RuleComputed      AmountRule = "computed"
)

// Agency is a beneficiary: the account the money ends up in.
type Agency struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	NameEN        string `json:"name_en,omitempty"`
	ProvinceCode  string `json:"province_code,omitempty"`
	BankBIN       string `json:"bank_bin"`
	BankName      string `json:"bank_name"`
	AccountNumber string `json:"account_number"`
	AccountName   string `json:"account_name"`
	// KBNNUnitCode and BudgetChapter are set where the agency is a State
	// Treasury collection point (the unit's 4-digit code, the 3-digit
	// budget chapter of the revenue).
	KBNNUnitCode  string `json:"kbnn_unit_code,omitempty"`
	BudgetChapter string `json:"budget_chapter,omitempty"`
	Active        bool   `json:"active"`
	Demo          bool   `json:"demo"`
}

// Service is a catalogue entry a payment is made for.
type Service struct {
	Code         string           `json:"code"`
	AgencyCode   string           `json:"agency"`
	Kind         Kind             `json:"kind"`
	Name         LocalizedName    `json:"name"`
	AmountRule   AmountRule       `json:"amount_rule"`
	FixedAmount  *decimal.Decimal `json:"fixed_amount,omitempty"`
	MinAmount    *decimal.Decimal `json:"min_amount,omitempty"`
	MaxAmount    *decimal.Decimal `json:"max_amount,omitempty"`
	ComputedRule string           `json:"computed_rule,omitempty"`
}

// LocalizedName is a name in Vietnamese and English.
type LocalizedName struct {
	VI string `json:"vi"`
	EN string `json:"en"`
}

// ErrUnknownService and ErrUnknownAgency are lookups of codes that do not exist.
var (
	ErrUnknownService = errors.New("no such service")
	ErrUnknownAgency  = errors.New("no such agency")
)

const agencyColumns = `code, name, coalesce(name_en, ''), coalesce(province_code, ''), bank_bin, bank_name, account_number, account_name,
	coalesce(kbnn_unit_code, ''), coalesce(budget_chapter, ''), active, demo`

func scanAgency(row pgx.Row) (Agency, error) {
	var a Agency
	err := row.Scan(&a.Code, &a.Name, &a.NameEN, &a.ProvinceCode, &a.BankBIN, &a.BankName, &a.AccountNumber, &a.AccountName,
		&a.KBNNUnitCode, &a.BudgetChapter, &a.Active, &a.Demo)
	return a, err
}

// Agencies lists the active agencies, ordered by code: what portals may
// collect for. AllAgencies lists the inactive ones too.
func Agencies(ctx context.Context, db pg.Querier) ([]Agency, error) {
	return listAgencies(ctx, db, `WHERE active`)
}

// AllAgencies lists every agency, active or not, ordered by code.
func AllAgencies(ctx context.Context, db pg.Querier) ([]Agency, error) {
	return listAgencies(ctx, db, ``)
}

func listAgencies(ctx context.Context, db pg.Querier, where string) ([]Agency, error) {
	rows, err := db.Query(ctx, `SELECT `+agencyColumns+` FROM agencies `+where+` ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Agency, error) { return scanAgency(r) })
}

// GetAgency returns one agency.
func GetAgency(ctx context.Context, db pg.Querier, code string) (Agency, error) {
	a, err := scanAgency(db.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrUnknownAgency
	}
	return a, err
}

const serviceColumns = `code, agency_code, kind::text, name_vi, name_en, amount_rule, fixed_amount, min_amount, max_amount, coalesce(computed_rule, '')`

func scanService(row pgx.Row) (Service, error) {
	var s Service
	var fixed, lo, hi decimal.NullDecimal
	err := row.Scan(&s.Code, &s.AgencyCode, &s.Kind, &s.Name.VI, &s.Name.EN, &s.AmountRule, &fixed, &lo, &hi, &s.ComputedRule)
	s.FixedAmount, s.MinAmount, s.MaxAmount = ptr(fixed), ptr(lo), ptr(hi)
	return s, err
}

func ptr(d decimal.NullDecimal) *decimal.Decimal {
	if !d.Valid {
		return nil
	}
	return &d.Decimal
}

// Services lists the catalogue, ordered by code.
func Services(ctx context.Context, db pg.Querier) ([]Service, error) {
	rows, err := db.Query(ctx, `SELECT `+serviceColumns+` FROM services ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Service, error) { return scanService(r) })
}

// GetService returns one service.
func GetService(ctx context.Context, db pg.Querier, code string) (Service, error) {
	return lookupService(db.QueryRow(ctx, serviceSQL, code))
}

const serviceSQL = `SELECT ` + serviceColumns + ` FROM services WHERE code = $1`

func lookupService(row pgx.Row) (Service, error) {
	s, err := scanService(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, ErrUnknownService
	}
	return s, err
}

// ServiceLookup is the answer of a GetService queued in a batch: Err is
// ErrUnknownService or nil (a database error fails the batch instead), so
// the caller decides when an unknown service matters.
type ServiceLookup struct {
	Service Service
	Err     error
}

// QueueGetService is GetService for a batch (see pg.Pipeline).
func QueueGetService(b *pgx.Batch, code string, res *ServiceLookup) {
	b.Queue(serviceSQL, code).QueryRow(func(row pgx.Row) error {
		res.Service, res.Err = lookupService(row)
		if errors.Is(res.Err, ErrUnknownService) {
			return nil
		}
		return res.Err
	})
}
