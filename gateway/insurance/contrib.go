package insurance

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Funds and parties.
const (
	FundSocial               = "social"
	FundOccupationalAccident = "occupational_accident"
	FundHealth               = "health"
	FundUnemployment         = "unemployment"
	PartyEmployer            = "employer"
	PartyEmployee            = "employee"
	// HouseholdRate keys the household health-insurance rate in Params.Rates.
	HouseholdRate = "household_health"
)

// LineDef is one fund/party contribution of a month.
type LineDef struct {
	Code, Party, Fund string
	VI, EN            string
}

// lineDefs fixes the order of a month's lines (employer first), so the same
// payroll always prints the same quote.
var lineDefs = []LineDef{
	{"employer_social", PartyEmployer, FundSocial, "BHXH – người sử dụng lao động", "Social insurance – employer"},
	{"employer_occupational_accident", PartyEmployer, FundOccupationalAccident, "BH tai nạn lao động, bệnh nghề nghiệp – người sử dụng lao động", "Occupational accident and disease insurance – employer"},
	{"employer_health", PartyEmployer, FundHealth, "BHYT – người sử dụng lao động", "Health insurance – employer"},
	{"employer_unemployment", PartyEmployer, FundUnemployment, "BHTN – người sử dụng lao động", "Unemployment insurance – employer"},
	{"employee_social", PartyEmployee, FundSocial, "BHXH – người lao động", "Social insurance – employee"},
	{"employee_health", PartyEmployee, FundHealth, "BHYT – người lao động", "Health insurance – employee"},
	{"employee_unemployment", PartyEmployee, FundUnemployment, "BHTN – người lao động", "Unemployment insurance – employee"},
}

// LineDefs are the seven contribution lines in print order.
func LineDefs() []LineDef { return append([]LineDef(nil), lineDefs...) }

// Employee is one row of a declaration. Salary is the salary for
// contributions, allowances included (Allowances says how much of it).
type Employee struct {
	Line       int // CSV line or JSON index, for error reports
	SINumber   string
	Name       string
	Foreign    bool
	Salary     decimal.Decimal
	Allowances decimal.Decimal
	From, To   Month // To zero: still employed
}

// activeIn reports whether e contributes for m.
func (e Employee) activeIn(m Month) bool {
	return !m.Before(e.From) && (e.To.IsZero() || !e.To.Before(m))
}

// Line is one fund/party line of a month: Base is the sum of the capped
// bases, Exact the unrounded sum of contributions, Amount its one rounding.
type Line struct {
	LineDef
	Rate   decimal.Decimal
	Base   decimal.Decimal
	Exact  decimal.Decimal
	Amount decimal.Decimal
}

// EmployeeLine is one employee's exact contributions (not rounded: only a
// month's fund lines are), for the per-employee view.
type EmployeeLine struct {
	SINumber string
	Name     string
	Salary   decimal.Decimal
	// Bases and Exact are by line code; foreign employees have no
	// unemployment lines.
	Bases map[string]decimal.Decimal
	Exact map[string]decimal.Decimal
}

// Priced is a month's contributions.
type Priced struct {
	Month     Month
	Lines     []Line
	Employees []EmployeeLine // only when asked for
	Count     int            // employees contributing this month
}

// Total is the exact sum of the rounded lines.
func (p Priced) Total() decimal.Decimal {
	t := decimal.Zero
	for _, l := range p.Lines {
		t = t.Add(l.Amount)
	}
	return t
}

// BelowMinimumError is a declared salary under the regional minimum wage in
// force for a month it covers: contributions on it would be unlawfully low.
type BelowMinimumError struct {
	Line     int
	SINumber string
	Month    Month
	Minimum  decimal.Decimal
}

func (e *BelowMinimumError) Error() string {
	return fmt.Sprintf("insurance: line %d (%s): salary below the regional minimum wage %s in force in %s", e.Line, e.SINumber, e.Minimum.StringFixed(0), e.Month)
}

// Price computes a month's contributions employee by employee: each fund's
// base is the employee's salary capped per employee (SI, OA and HI at
// CapSocial, UI at CapUnemployment), each contribution is base × rate kept
// exact, contributions are summed exactly over employees, and each of the
// seven lines is rounded once, half-up, to whole đồng. Foreign employees pay
// no unemployment insurance. A salary under the minimum wage is refused
// (BelowMinimumError), never raised silently to the floor.
func Price(p Params, oaRate decimal.Decimal, emps []Employee, m Month, detail bool) (Priced, error) {
	capS, capU := p.CapSocial(), p.CapUnemployment()
	out := Priced{Month: m, Lines: make([]Line, len(lineDefs))}
	rates := make([]decimal.Decimal, len(lineDefs))
	for i, d := range lineDefs {
		rates[i] = p.Rates[d.Code]
		if d.Fund == FundOccupationalAccident {
			rates[i] = oaRate
		}
		out.Lines[i] = Line{LineDef: d, Rate: rates[i], Base: decimal.Zero, Exact: decimal.Zero}
	}
	for _, e := range emps {
		if !e.activeIn(m) {
			continue
		}
		if e.Salary.LessThan(p.MinimumWage) {
			return Priced{}, &BelowMinimumError{Line: e.Line, SINumber: e.SINumber, Month: m, Minimum: p.MinimumWage}
		}
		out.Count++
		baseS, baseU := decimal.Min(e.Salary, capS), decimal.Min(e.Salary, capU)
		var el EmployeeLine
		if detail {
			el = EmployeeLine{SINumber: e.SINumber, Name: e.Name, Salary: e.Salary, Bases: map[string]decimal.Decimal{}, Exact: map[string]decimal.Decimal{}}
		}
		for i, d := range lineDefs {
			base := baseS
			if d.Fund == FundUnemployment {
				if e.Foreign {
					continue
				}
				base = baseU
			}
			c := base.Mul(rates[i])
			out.Lines[i].Base = out.Lines[i].Base.Add(base)
			out.Lines[i].Exact = out.Lines[i].Exact.Add(c)
			if detail {
				el.Bases[d.Code], el.Exact[d.Code] = base, c
			}
		}
		if detail {
			out.Employees = append(out.Employees, el)
		}
	}
	for i := range out.Lines {
		out.Lines[i].Amount = RoundDong(out.Lines[i].Exact)
	}
	return out, nil
}

// RoundDong is half-up to whole đồng; decimal.Round rounds half away from
// zero, which is half-up on the non-negative amounts it is given.
func RoundDong(d decimal.Decimal) decimal.Decimal {
	if d.IsNegative() {
		panic(fmt.Sprintf("insurance: rounding a negative amount %s", d))
	}
	return d.Round(0)
}
