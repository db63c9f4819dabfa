package insurance

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// LateRate is the late-payment charge on contributions, 0.03 % per day
// (Law 41/2024/QH15 Art. 40 from 2025-07-01; the same rate before under
// Law 58/2014 as amended — see docs/SOCIAL_INSURANCE.md on what is verified).
var LateRate = decimal.RequireFromString("0.0003")

// ObligationRow is a stored obligation: what the unit owes for a month.
type ObligationRow struct {
	Month  Month
	Due    time.Time // civil date, UTC midnight
	Amount decimal.Decimal
}

// PaymentRow is a payment received for the unit on a civil day.
type PaymentRow struct {
	PaymentID string
	PaidOn    time.Time // civil date, UTC midnight
	Amount    decimal.Decimal
}

// ObligationState is an obligation as of the statement's date.
type ObligationState struct {
	ObligationRow
	PrincipalPaid decimal.Decimal
	// Interest is the late interest accrued so far, rounded once (half-up)
	// from its exact sum; InterestPaid is what payments covered of it.
	Interest      decimal.Decimal
	InterestPaid  decimal.Decimal
	DaysOverdue   int
	exactInterest decimal.Decimal
	accruedTo     time.Time
}

// Outstanding is principal and interest still owed.
func (o ObligationState) Outstanding() decimal.Decimal {
	return o.Amount.Sub(o.PrincipalPaid).Add(o.Interest).Sub(o.InterestPaid)
}

// Allocation is the part of a payment that went to one obligation.
type Allocation struct {
	Month     Month
	Principal decimal.Decimal
	Interest  decimal.Decimal
}

// PaymentState is a payment and where it went.
type PaymentState struct {
	PaymentRow
	Allocations []Allocation
	Unallocated decimal.Decimal
}

// Statement is a unit's account on a civil date.
type Statement struct {
	UnitID      string
	AsOf        time.Time
	Obligations []ObligationState
	Payments    []PaymentState
	// Balance is what is owed (principal and rounded interest) less
	// unallocated credit; it is what a payment made on AsOf must carry.
	Balance decimal.Decimal
	Credit  decimal.Decimal
}

// BuildStatement replays the unit's account up to asOf (a civil date):
// payments in date order, each allocated to the oldest open obligation
// first — its principal, then its interest accrued to the payment day.
// Late interest on an obligation runs on its unpaid principal for each day
// after the due date and before the day it is paid (the day of payment
// bears none: the tax rule's paid − due − 1), accumulates exactly, and is
// rounded once, half-up, whenever it is read; payments made on asOf are
// included. A payment beyond every obligation is kept as credit.
func BuildStatement(unitID string, obs []ObligationRow, pays []PaymentRow, asOf time.Time) Statement {
	st := Statement{UnitID: unitID, AsOf: asOf, Balance: decimal.Zero, Credit: decimal.Zero}
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Month.Before(obs[j].Month) })
	sort.SliceStable(pays, func(i, j int) bool { return pays[i].PaidOn.Before(pays[j].PaidOn) })
	for _, o := range obs {
		st.Obligations = append(st.Obligations, ObligationState{ObligationRow: o, PrincipalPaid: decimal.Zero,
			Interest: decimal.Zero, InterestPaid: decimal.Zero, exactInterest: decimal.Zero, accruedTo: o.Due.AddDate(0, 0, 1)})
	}
	for _, p := range pays {
		if p.PaidOn.After(asOf) {
			continue
		}
		ps := PaymentState{PaymentRow: p}
		left := p.Amount
		for i := range st.Obligations {
			o := &st.Obligations[i]
			o.accrue(p.PaidOn)
			if left.IsZero() {
				continue
			}
			a := Allocation{Month: o.Month, Principal: decimal.Min(left, o.Amount.Sub(o.PrincipalPaid))}
			left = left.Sub(a.Principal)
			o.PrincipalPaid = o.PrincipalPaid.Add(a.Principal)
			a.Interest = decimal.Min(left, o.Interest.Sub(o.InterestPaid))
			left = left.Sub(a.Interest)
			o.InterestPaid = o.InterestPaid.Add(a.Interest)
			if a.Principal.IsPositive() || a.Interest.IsPositive() {
				ps.Allocations = append(ps.Allocations, a)
			}
		}
		ps.Unallocated = left
		st.Credit = st.Credit.Add(left)
		st.Payments = append(st.Payments, ps)
	}
	for i := range st.Obligations {
		o := &st.Obligations[i]
		o.accrue(asOf)
		if o.Due.Before(asOf) && o.Outstanding().IsPositive() {
			o.DaysOverdue = int(asOf.Sub(o.Due).Hours()/24) - 1
		}
		st.Balance = st.Balance.Add(o.Outstanding())
	}
	st.Balance = st.Balance.Sub(st.Credit)
	return st
}

// accrue adds the interest of the days in [accruedTo, day) on the unpaid
// principal; accruedTo starts the day after the due date.
func (o *ObligationState) accrue(day time.Time) {
	if !o.accruedTo.Before(day) {
		return
	}
	days := int64(day.Sub(o.accruedTo).Hours() / 24)
	unpaid := o.Amount.Sub(o.PrincipalPaid)
	o.exactInterest = o.exactInterest.Add(unpaid.Mul(LateRate).Mul(decimal.NewFromInt(days)))
	o.Interest = RoundDong(o.exactInterest)
	o.accruedTo = day
}
