package insurance

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// Money and rates go out as JSON strings, never numbers, so no client
// parses them as floats; whole-đồng amounts print without a fraction.
func money(d decimal.Decimal) string { return d.StringFixed(0) }

// MarshalJSON is the API view of a unit.
func (u Unit) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"id": u.ID, "object": "si_unit", "code": u.Code, "name": u.Name, "tax_code": u.TaxCode, "service": u.Service,
		"region": u.Region, "occupational_accident_rate": u.OARate.String(),
		"first_month": u.FirstMonth.String(), "livemode": u.Livemode, "created_at": u.CreatedAt.Format(time.RFC3339),
	})
}

// MarshalJSON is the API view of a declaration and its first month.
func (d Declaration) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"id": d.ID, "object": "si_declaration", "unit": d.UnitID, "effective_from": d.EffectiveFrom.String(),
		"employees": d.Employees, "created_at": d.CreatedAt.Format(time.RFC3339), "contributions": d.Priced,
	})
}

type lineView struct {
	Code  string            `json:"code"`
	Party string            `json:"party"`
	Fund  string            `json:"fund"`
	Label map[string]string `json:"label"`
	Rate  string            `json:"rate"`
	Base  string            `json:"base"`
	// Exact is the unrounded sum over employees; Amount its one rounding.
	Exact  string `json:"exact"`
	Amount string `json:"amount"`
}

type employeeView struct {
	SINumber string            `json:"si_number"`
	Name     string            `json:"full_name"`
	Salary   string            `json:"salary"`
	Bases    map[string]string `json:"bases"`
	Exact    map[string]string `json:"contributions"`
}

// MarshalJSON is a month's contributions: lines per fund and party, and
// per employee when they were asked for.
func (p Priced) MarshalJSON() ([]byte, error) {
	lines := make([]lineView, len(p.Lines))
	for i, l := range p.Lines {
		lines[i] = lineView{l.Code, l.Party, l.Fund, map[string]string{"vi": l.VI, "en": l.EN}, l.Rate.String(), money(l.Base), l.Exact.String(), money(l.Amount)}
	}
	out := map[string]any{"month": p.Month.String(), "employees": p.Count, "lines": lines, "total": money(p.Total())}
	if p.Employees != nil {
		emps := make([]employeeView, len(p.Employees))
		for i, e := range p.Employees {
			v := employeeView{e.SINumber, e.Name, money(e.Salary), map[string]string{}, map[string]string{}}
			for k, b := range e.Bases {
				v.Bases[k] = money(b)
			}
			for k, c := range e.Exact {
				v.Exact[k] = c.String()
			}
			emps[i] = v
		}
		out["by_employee"] = emps
	}
	return json.Marshal(out)
}

// MarshalJSON is the API view of a statement: every obligation with what
// was paid of it and the interest accrued, every payment with where it
// went, and the balance, all in exact whole đồng.
func (st Statement) MarshalJSON() ([]byte, error) {
	obs := make([]map[string]any, len(st.Obligations))
	principal, interest := decimal.Zero, decimal.Zero
	for i, o := range st.Obligations {
		status := "open"
		switch {
		case !o.Outstanding().IsPositive():
			status = "paid"
		case o.Due.Before(st.AsOf):
			status = "overdue"
		}
		obs[i] = map[string]any{
			"month": o.Month.String(), "due_date": o.Due.Format(time.DateOnly), "amount": money(o.Amount),
			"principal_paid": money(o.PrincipalPaid), "interest": money(o.Interest), "interest_paid": money(o.InterestPaid),
			"outstanding": money(o.Outstanding()), "days_overdue": o.DaysOverdue, "status": status,
		}
		principal = principal.Add(o.Amount.Sub(o.PrincipalPaid))
		interest = interest.Add(o.Interest.Sub(o.InterestPaid))
	}
	pays := make([]map[string]any, len(st.Payments))
	for i, p := range st.Payments {
		allocs := make([]map[string]any, len(p.Allocations))
		for j, a := range p.Allocations {
			allocs[j] = map[string]any{"month": a.Month.String(), "principal": money(a.Principal), "interest": money(a.Interest)}
		}
		pays[i] = map[string]any{"payment": p.PaymentID, "paid_on": p.PaidOn.Format(time.DateOnly), "amount": money(p.Amount),
			"allocations": allocs, "unallocated": money(p.Unallocated)}
	}
	return json.Marshal(map[string]any{
		"object": "si_statement", "unit": st.UnitID, "as_of": st.AsOf.Format(time.DateOnly),
		"obligations": obs, "payments": pays, "principal_outstanding": money(principal),
		"interest_outstanding": money(interest), "credit": money(st.Credit), "balance": st.Balance.StringFixed(0),
	})
}
