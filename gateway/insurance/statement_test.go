package insurance

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// skipped is a unit owing 3,200,000 a month (one employee at 10,000,000,
// 32 %) that pays nothing for September to November 2024 and then
// 5,000,000 on 10 December.
func skipped() ([]ObligationRow, []PaymentRow) {
	obs := []ObligationRow{
		{month("2024-09"), day("2024-09-30"), dec("3200000")},
		{month("2024-10"), day("2024-10-31"), dec("3200000")},
		{month("2024-11"), day("2024-11-30"), dec("3200000")},
		{month("2024-12"), day("2024-12-31"), dec("3200000")},
	}
	return obs, []PaymentRow{{"pay_1", day("2024-12-10"), dec("5000000")}}
}

// TestStatementSkippedMonthsPartialPayment, by hand. On 10 December:
// September is 70 days late (1 Oct – 9 Dec): 3,200,000 × 0.03 % × 70 =
// 67,200; October 39 days: 37,440; November 9 days: 8,640. The 5,000,000
// pays September's principal and interest (3,267,200) and 1,732,800 of
// October's principal, leaving 1,467,200. On 20 December: October's
// interest is 37,440 + 1,467,200 × 0.03 % × 10 (10–19 Dec) = 41,841.6 →
// 41,842; November's 3,200,000 × 0.03 % × 19 (1–19 Dec) = 18,240;
// December is not yet due. Balance 1,467,200 + 41,842 + 3,200,000 +
// 18,240 + 3,200,000 = 7,927,282.
func TestStatementSkippedMonthsPartialPayment(t *testing.T) {
	t.Parallel()
	obs, pays := skipped()
	st := BuildStatement("siu_x", obs, pays, day("2024-12-20"))
	type want struct{ principalPaid, interest, interestPaid, outstanding string }
	wants := []want{
		{"3200000", "67200", "67200", "0"},
		{"1732800", "41842", "0", "1509042"},
		{"0", "18240", "0", "3218240"},
		{"0", "0", "0", "3200000"},
	}
	for i, w := range wants {
		o := st.Obligations[i]
		got := want{o.PrincipalPaid.String(), o.Interest.String(), o.InterestPaid.String(), o.Outstanding().String()}
		if got != w {
			t.Errorf("%s: %+v, want %+v", o.Month, got, w)
		}
	}
	if st.Balance.String() != "7927282" || !st.Credit.IsZero() {
		t.Fatalf("balance %s credit %s, want 7927282 and 0", st.Balance, st.Credit)
	}
	a := st.Payments[0].Allocations
	if len(a) != 2 || a[0].Principal.String() != "3200000" || a[0].Interest.String() != "67200" || a[1].Principal.String() != "1732800" || !a[1].Interest.IsZero() {
		t.Fatalf("allocations %+v", a)
	}
	if st.Obligations[1].DaysOverdue != 49 || st.Obligations[3].DaysOverdue != 0 {
		t.Fatalf("days overdue %d, %d", st.Obligations[1].DaysOverdue, st.Obligations[3].DaysOverdue)
	}
}

// TestStatementPaymentDayBearsNoInterest: due 30 Sep, paid in full on
// 1 Oct is on time for interest (0 days: 1 Oct − 30 Sep − 1); paid on
// 2 Oct is one day: 3,200,000 × 0.03 % = 960.
func TestStatementPaymentDayBearsNoInterest(t *testing.T) {
	t.Parallel()
	tests := []struct{ paid, interest string }{{"2024-09-30", "0"}, {"2024-10-01", "0"}, {"2024-10-02", "960"}}
	for _, tt := range tests {
		obs := []ObligationRow{{month("2024-09"), day("2024-09-30"), dec("3200000")}}
		st := BuildStatement("siu_x", obs, nil, day(tt.paid))
		if st.Balance.Sub(dec("3200000")).String() != tt.interest {
			t.Errorf("owed on %s: %s, want 3200000 + %s", tt.paid, st.Balance, tt.interest)
		}
	}
}

// TestStatementInvariants: for seeded random schedules, paying the balance
// on a day leaves nothing owed that day, and money is conserved (what was
// paid = principal and interest covered + credit).
func TestStatementInvariants(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 11))
	for round := 0; round < 300; round++ {
		var obs []ObligationRow
		m := month("2024-01")
		for i := 0; i < 1+rng.IntN(8); i++ {
			obs = append(obs, ObligationRow{m, m.Last(), decimal.NewFromInt(1 + rng.Int64N(50_000_000))})
			m = m.Next()
		}
		var pays []PaymentRow
		d := day("2024-01-15")
		for i := 0; i < rng.IntN(6); i++ {
			d = d.AddDate(0, 0, rng.IntN(90))
			pays = append(pays, PaymentRow{"p", d, decimal.NewFromInt(1 + rng.Int64N(60_000_000))})
		}
		asOf := d.AddDate(0, 0, rng.IntN(120))
		st := BuildStatement("u", append([]ObligationRow(nil), obs...), append([]PaymentRow(nil), pays...), asOf)
		paid, covered := decimal.Zero, st.Credit
		for _, p := range pays {
			paid = paid.Add(p.Amount)
		}
		for _, o := range st.Obligations {
			covered = covered.Add(o.PrincipalPaid).Add(o.InterestPaid)
			if o.InterestPaid.GreaterThan(o.Interest) || o.PrincipalPaid.GreaterThan(o.Amount) {
				t.Fatalf("seed %d: over-allocated %+v", seed, o)
			}
		}
		if !paid.Equal(covered) {
			t.Fatalf("seed %d: paid %s, allocated %s", seed, paid, covered)
		}
		if st.Balance.IsPositive() {
			settle := append(append([]PaymentRow(nil), pays...), PaymentRow{"settle", asOf, st.Balance})
			after := BuildStatement("u", append([]ObligationRow(nil), obs...), settle, asOf)
			if !after.Balance.IsZero() {
				t.Fatalf("seed %d: paying the balance %s on %s left %s", seed, st.Balance, asOf.Format(time.DateOnly), after.Balance)
			}
		}
	}
}
