// Package insurance prices compulsory social, health and unemployment
// insurance (National Public Service Portal service 998) employee by
// employee from a unit's payroll declarations, keeps the unit's monthly
// obligations, and allocates what it pays to them. Every legal value comes
// from the dated table si_parameters, so each month is priced with the
// values in force in that month, and the table names the source of each.
package insurance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Month is a contribution month, held as its first day at UTC midnight:
// months are civil, and a zone must never move one into its neighbour.
type Month struct{ t time.Time }

// MonthOf is the month of a civil year and month.
func MonthOf(y int, m time.Month) Month { return Month{time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)} }

// ParseMonth reads strictly YYYY-MM.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return Month{}, fmt.Errorf("insurance: month %q is not YYYY-MM", s)
	}
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2000 {
		return Month{}, fmt.Errorf("insurance: month %q is not YYYY-MM from 2000", s)
	}
	return Month{t}, nil
}

func (m Month) String() string { return m.t.Format("2006-01") }

// First is the month's first day (UTC midnight).
func (m Month) First() time.Time { return m.t }

// Last is the month's last day: contributions fall due on it.
func (m Month) Last() time.Time { return m.t.AddDate(0, 1, -1) }

// Next is the following month.
func (m Month) Next() Month { return Month{m.t.AddDate(0, 1, 0)} }

// Before reports whether m is an earlier month than o.
func (m Month) Before(o Month) bool { return m.t.Before(o.t) }

// IsZero reports an unset month (an open-ended to-month).
func (m Month) IsZero() bool { return m.t.IsZero() }

// Params are the legal values in force for one month in one region.
type Params struct {
	Month Month
	// ReferenceLevel is the base salary (mức lương cơ sở), from 2025-07-01
	// the reference level (mức tham chiếu) of Law 41/2024/QH15.
	ReferenceLevel decimal.Decimal
	// MinimumWage is the unit's regional minimum wage: the floor of every
	// declared salary and, × CapMultipleUI, the unemployment cap.
	MinimumWage  decimal.Decimal
	CapMultiple  decimal.Decimal // SI and HI: × ReferenceLevel
	CapMultipleU decimal.Decimal // UI: × MinimumWage
	// Rates by line code (employer_social, …) except the occupational-
	// accident rate, which is the unit's own.
	Rates map[string]decimal.Decimal
	// Unverified names parameters whose values the docs mark unverified.
	Unverified []string
}

// CapSocial is the per-employee monthly cap of the social, occupational-
// accident and health funds.
func (p Params) CapSocial() decimal.Decimal { return p.ReferenceLevel.Mul(p.CapMultiple) }

// CapUnemployment is the per-employee monthly cap of unemployment insurance.
func (p Params) CapUnemployment() decimal.Decimal { return p.MinimumWage.Mul(p.CapMultipleU) }

// ErrNoParameters is a month before the dated tables begin, or a table
// missing a value: pricing it would have to guess.
var ErrNoParameters = errors.New("insurance: no legal parameters in force for the month")

const paramsSQL = `
SELECT DISTINCT ON (name, region) name, value, verified
FROM si_parameters
WHERE effective_from <= $1::date AND region IN (0, $2)
ORDER BY name, region, effective_from DESC`

// LoadParams reads the values in force on the month's first day.
func LoadParams(ctx context.Context, db pg.Querier, m Month, region int) (Params, error) {
	rows, err := db.Query(ctx, paramsSQL, m.First(), region)
	if err != nil {
		return Params{}, fmt.Errorf("insurance: parameters: %w", pg.Translate(err))
	}
	type row struct {
		name     string
		value    decimal.Decimal
		verified bool
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.name, &x.value, &x.verified)
	})
	if err != nil {
		return Params{}, fmt.Errorf("insurance: parameters: %w", pg.Translate(err))
	}
	p := Params{Month: m, Rates: map[string]decimal.Decimal{}}
	for _, r := range list {
		if !r.verified {
			p.Unverified = append(p.Unverified, r.name)
		}
		switch r.name {
		case "reference_level":
			p.ReferenceLevel = r.value
		case "minimum_wage":
			p.MinimumWage = r.value
		case "cap_multiple_si_hi":
			p.CapMultiple = r.value
		case "cap_multiple_ui":
			p.CapMultipleU = r.value
		case "rate_household_health":
			p.Rates[HouseholdRate] = r.value
		default:
			p.Rates[r.name[len("rate_"):]] = r.value
		}
	}
	return p, p.complete()
}

func (p Params) complete() error {
	if !p.ReferenceLevel.IsPositive() || !p.MinimumWage.IsPositive() || !p.CapMultiple.IsPositive() || !p.CapMultipleU.IsPositive() {
		return fmt.Errorf("%w: %s", ErrNoParameters, p.Month)
	}
	for _, l := range lineDefs {
		if _, ok := p.Rates[l.Code]; !ok && l.Fund != FundOccupationalAccident {
			return fmt.Errorf("%w: %s has no %s rate", ErrNoParameters, p.Month, l.Code)
		}
	}
	return nil
}
