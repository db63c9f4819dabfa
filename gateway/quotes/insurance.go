package quotes

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Funds and parties, as spelled in insurance_rates and insurance_salary_caps.
const (
	FundSocial               = "social"
	FundOccupationalAccident = "occupational_accident"
	FundHealth               = "health"
	FundUnemployment         = "unemployment"
	PartyEmployer            = "employer"
	PartyEmployee            = "employee"
)

// MaxEmployees bounds the head count: beyond it the input is a typo.
const MaxEmployees = 1_000_000

// MaxRegion is the highest minimum-wage region (Decree 74/2024: I–IV).
const MaxRegion = 4

// Rate is one fund/party contribution rate in force from EffectiveFrom.
type Rate struct {
	Fund          string
	Party         string
	Rate          decimal.Decimal
	EffectiveFrom Date
}

// Cap is a fund's monthly salary cap per employee; Region 0 is nationwide.
type Cap struct {
	Fund          string
	Region        int
	Cap           decimal.Decimal
	EffectiveFrom Date
}

type contribution struct {
	party, fund string
	label       catalog.LocalizedName
}

// contributions fixes the line order (employer first, then employee), so
// the same inputs always print the same quote.
var contributions = []contribution{
	{PartyEmployer, FundSocial, catalog.LocalizedName{VI: "BHXH – người sử dụng lao động", EN: "Social insurance – employer"}},
	{PartyEmployer, FundOccupationalAccident, catalog.LocalizedName{VI: "BH tai nạn lao động, bệnh nghề nghiệp – người sử dụng lao động", EN: "Occupational accident and disease insurance – employer"}},
	{PartyEmployer, FundHealth, catalog.LocalizedName{VI: "BHYT – người sử dụng lao động", EN: "Health insurance – employer"}},
	{PartyEmployer, FundUnemployment, catalog.LocalizedName{VI: "BHTN – người sử dụng lao động", EN: "Unemployment insurance – employer"}},
	{PartyEmployee, FundSocial, catalog.LocalizedName{VI: "BHXH – người lao động", EN: "Social insurance – employee"}},
	{PartyEmployee, FundHealth, catalog.LocalizedName{VI: "BHYT – người lao động", EN: "Health insurance – employee"}},
	{PartyEmployee, FundUnemployment, catalog.LocalizedName{VI: "BHTN – người lao động", EN: "Unemployment insurance – employee"}},
}

// SocialInsurance prices one month of compulsory contributions for a
// payroll. rates and caps are those in force for the period (RatesAt,
// CapsAt). Every one of the seven fund/party contributions needs a rate
// (0 is allowed) and every fund a cap: the law caps every fund, and a
// missing row would silently overcharge or drop a contribution.
//
// Simplification: a cap is per employee per month, but only the fund is
// known, so the base is min(salaryFund, employees × cap). That is exact when
// no employee, or every employee, earns above the cap; with uneven payrolls
// it can overcharge compared with capping each employee separately.
//
// Each line is base × rate rounded half-up to whole đồng on its own, and the
// total is the exact sum of the rounded lines (it may differ by a few đồng
// from rounding base × 32% once), so lines always add up to the total.
// Payroll errors are *FieldErrors naming the API inputs.
func SocialInsurance(salaryFund decimal.Decimal, employees int, rates []Rate, caps []Cap) (Lines, error) {
	if err := checkPayroll(salaryFund, employees); err != nil {
		return nil, err
	}
	rateOf, err := indexRates(rates)
	if err != nil {
		return nil, err
	}
	capOf, err := indexCaps(caps)
	if err != nil {
		return nil, err
	}
	lines := make(Lines, 0, len(contributions))
	for _, c := range contributions {
		r, okR := rateOf[[2]string{c.fund, c.party}]
		cp, okC := capOf[c.fund]
		if !okR || !okC {
			return nil, fmt.Errorf("quotes: %s %s: %w", c.party, c.fund, errIncomplete)
		}
		lines = append(lines, contributionLine(c, salaryFund, employees, r.Rate, cp.Cap))
	}
	return lines, nil
}

func contributionLine(c contribution, salaryFund decimal.Decimal, employees int, rate, capPerEmployee decimal.Decimal) Line {
	base, basis := salaryFund, grouped(salaryFund)
	if fundCap := capPerEmployee.Mul(decimal.NewFromInt(int64(employees))); fundCap.LessThan(salaryFund) {
		base = fundCap
		basis = fmt.Sprintf("%s (cap %d × %s)", grouped(fundCap), employees, grouped(capPerEmployee))
	}
	return Line{
		Code:   c.party + "_" + c.fund,
		Label:  c.label,
		Amount: roundDong(base.Mul(rate)),
		Basis:  basis + " × " + percent(rate),
	}
}

func checkPayroll(salaryFund decimal.Decimal, employees int) error {
	var errs FieldErrors
	if !isWholeAmount(salaryFund) {
		errs.add(inSalaryFund, CodeInvalidAmount, "must be a positive whole number of đồng up to "+MaxAmount.String())
	}
	if employees < 1 || employees > MaxEmployees {
		errs.add(inEmployees, CodeOutOfRange, fmt.Sprintf("must be between 1 and %d", MaxEmployees))
	}
	return errs.err()
}

// indexRates refuses unknown, duplicate or impossible rates: they mean the
// caller passed the wrong period's rows, and guessing would misprice.
func indexRates(rates []Rate) (map[[2]string]Rate, error) {
	known := make(map[[2]string]bool, len(contributions))
	for _, c := range contributions {
		known[[2]string{c.fund, c.party}] = true
	}
	out := make(map[[2]string]Rate, len(rates))
	for _, r := range rates {
		k := [2]string{r.Fund, r.Party}
		_, dup := out[k]
		switch {
		case !known[k]:
			return nil, fmt.Errorf("quotes: no %s contribution to %s fund", r.Party, r.Fund)
		case dup:
			return nil, fmt.Errorf("quotes: two rates for %s %s", r.Party, r.Fund)
		case r.Rate.IsNegative() || r.Rate.GreaterThanOrEqual(decimal.NewFromInt(1)):
			return nil, fmt.Errorf("quotes: rate %s for %s %s is not in [0, 1)", r.Rate, r.Party, r.Fund)
		}
		out[k] = r
	}
	return out, nil
}

func indexCaps(caps []Cap) (map[string]Cap, error) {
	out := make(map[string]Cap, len(caps))
	for _, c := range caps {
		if _, dup := out[c.Fund]; dup {
			return nil, fmt.Errorf("quotes: two caps for the %s fund", c.Fund)
		}
		if !isKnownFund(c.Fund) || !isWholeAmount(c.Cap) {
			return nil, fmt.Errorf("quotes: invalid cap %s for fund %q", c.Cap, c.Fund)
		}
		out[c.Fund] = c
	}
	return out, nil
}

func isKnownFund(f string) bool {
	for _, c := range contributions {
		if c.fund == f {
			return true
		}
	}
	return false
}

// ratesAtSQL keeps, per (fund, party), the newest row in force on $1.
const ratesAtSQL = `
SELECT DISTINCT ON (fund, party) fund, party, rate, effective_from
FROM insurance_rates
WHERE effective_from <= $1::date
ORDER BY fund, party, effective_from DESC`

// capsAtSQL keeps, per fund, the newest row in force on $1 among the
// nationwide (region 0) and the region's own rows; on the same date the
// regional row wins, and a newer nationwide row supersedes older regional ones.
const capsAtSQL = `
SELECT DISTINCT ON (fund) fund, region, cap, effective_from
FROM insurance_salary_caps
WHERE effective_from <= $1::date AND region IN (0, $2)
ORDER BY fund, effective_from DESC, region DESC`

// RatesAt returns the contribution rates in force on period's calendar date
// (in period's own location).
func RatesAt(ctx context.Context, db pg.Querier, period time.Time) ([]Rate, error) {
	rows, err := db.Query(ctx, ratesAtSQL, period)
	if err != nil {
		return nil, pg.Translate(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Rate, error) {
		var r Rate
		var from time.Time
		err := row.Scan(&r.Fund, &r.Party, &r.Rate, &from)
		r.EffectiveFrom = DateOf(from)
		return r, err
	})
}

// CapsAt returns one salary cap per fund in force on period's calendar date
// for a minimum-wage region (1–4; 0 selects nationwide rows only).
func CapsAt(ctx context.Context, db pg.Querier, period time.Time, region int) ([]Cap, error) {
	if region < 0 || region > MaxRegion {
		return nil, fmt.Errorf("quotes: region %d is not 0–%d", region, MaxRegion)
	}
	rows, err := db.Query(ctx, capsAtSQL, period, region)
	if err != nil {
		return nil, pg.Translate(err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Cap, error) {
		var c Cap
		var from time.Time
		err := row.Scan(&c.Fund, &c.Region, &c.Cap, &from)
		c.EffectiveFrom = DateOf(from)
		return c, err
	})
}
