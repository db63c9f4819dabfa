package insurance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/civicpay/civicpay/gateway/events"

	"github.com/civicpay/civicpay/internal/pgtest"
)

const fixtureSQL = `
INSERT INTO agencies (code, name, bank_bin, bank_name, account_number, account_name, demo) VALUES
    ('BHXH-VN', 'Bảo hiểm xã hội Việt Nam (test)', '970418', 'BIDV', '12010000999999', 'BAO HIEM XA HOI VIET NAM', true);
INSERT INTO services (code, agency_code, kind, name_vi, name_en, amount_rule, computed_rule) VALUES
    ('BHXH-BATBUOC', 'BHXH-VN', 'insurance', 'Đóng BHXH', 'Compulsory social insurance', 'computed', 'social_insurance');
INSERT INTO portals (id, name, webhook_secret) VALUES ('por_portalAAAA0001', 'Portal A', 'whsec_a');`

func newUnit(t *testing.T, first string) (*pgxpool.Pool, Unit) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	if _, err := db.Exec(ctx, fixtureSQL); err != nil {
		t.Fatal(err)
	}
	u, err := UnitInput{Code: "TA0001A", Name: "Công ty A", TaxCode: "0101234567", Service: "BHXH-BATBUOC", Region: 1, FirstMonth: first}.Check()
	if err != nil {
		t.Fatal(err)
	}
	u.PortalID = "por_portalAAAA0001"
	if u, err = CreateUnit(ctx, db, u); err != nil {
		t.Fatal(err)
	}
	return db, u
}

func inTx(t *testing.T, db *pgxpool.Pool, fn func(pgx.Tx) error) {
	t.Helper()
	if err := pgx.BeginFunc(context.Background(), db, fn); err != nil {
		t.Fatal(err)
	}
}

// paid records a succeeded payment for the unit, as settlement would, and
// allocates it through Allocate.
func paid(t *testing.T, db *pgxpool.Pool, u Unit, id, amount string, at time.Time) {
	t.Helper()
	inTx(t, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), `
			INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, amount, status,
			                      payment_code, client_token, expires_at, succeeded_at, si_unit_id)
			VALUES ($1, $2, false, 'BHXH-BATBUOC', 'BHXH-VN', 'insurance', $3, $4, 'succeeded', $1, $1, $5, $5, $6)`,
			id, u.PortalID, u.Code, amount, at, u.ID); err != nil {
			return err
		}
		return Allocate(context.Background(), tx, id)
	})
}

// TestSkippedMonthsThenPartialPayment: one employee at 10,000,000 from
// September 2024 (3,200,000 a month); the unit pays nothing until
// 5,000,000 on 10 December. Hand computation in
// TestStatementSkippedMonthsPartialPayment: balance on 20 December
// 7,927,282; here through the tables, Ensure, Allocate and the job.
func TestSkippedMonthsThenPartialPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, u := newUnit(t, "2024-09")
	emps, err := ParseCSV([]byte(header + "0100000001,Nguyễn Văn A,VN,10000000,0,2024-09,\n"))
	if err != nil {
		t.Fatal(err)
	}
	inTx(t, db, func(tx pgx.Tx) error {
		_, err := Declare(ctx, tx, u, month("2024-09"), emps, "lines", false)
		return err
	})
	// The job on 5 December makes September to December, once.
	now := time.Date(2024, time.December, 5, 9, 0, 0, 0, Vietnam)
	for range 2 {
		if err := Run(ctx, db, nil, 5, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var sum string
	if err := db.QueryRow(ctx, `SELECT count(*), sum(amount)::text FROM si_obligations WHERE unit_id = $1`, u.ID).Scan(&n, &sum); err != nil || n != 4 || sum != "12800000" {
		t.Fatalf("obligations %d summing %s (%v), want 4 and 12800000", n, sum, err)
	}
	paid(t, db, u, "pay_partialPayment000001", "5000000", time.Date(2024, time.December, 10, 0, 30, 0, 0, Vietnam)) // 9 Dec in UTC
	st, err := LoadStatement(ctx, db, u, day("2024-12-20"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Balance.String() != "7927282" {
		t.Fatalf("balance on 2024-12-20 = %s, want 7927282", st.Balance)
	}
	// A second allocation of the same payment changes nothing.
	inTx(t, db, func(tx pgx.Tx) error { return Allocate(ctx, tx, "pay_partialPayment000001") })
	if st, _ := LoadStatement(ctx, db, u, day("2024-12-20")); st.Balance.String() != "7927282" {
		t.Fatalf("after a repeated allocation: %s", st.Balance)
	}
	// Before the payment day the statement shows no payment: on 9 Dec,
	// 3,200,000 × 4 + interest 3,200,000 × 0.03 % × (69 + 38 + 8) = 110,400.
	if st, _ := LoadStatement(ctx, db, u, day("2024-12-09")); st.Balance.String() != "12910400" {
		t.Fatalf("balance on 2024-12-09 = %s, want 12910400", st.Balance)
	}
}

// TestObligationEvents: each event once per obligation, whatever the
// number of passes. On 27 November 2024 (due-soon window 5 days):
// September and October are overdue, November (due the 30th) due soon.
// After a payment of everything owed on 28 November — 3,200,000 × 3 +
// interest 3,200,000 × 0.03 % × (58 + 27) = 81,600 → 9,681,600 — the
// three are paid.
func TestObligationEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, u := newUnit(t, "2024-09")
	emps, _ := ParseCSV([]byte(header + "0100000001,Nguyễn Văn A,VN,10000000,0,2024-09,\n"))
	inTx(t, db, func(tx pgx.Tx) error {
		_, err := Declare(ctx, tx, u, month("2024-09"), emps, "lines", false)
		return err
	})
	rc, err := river.NewClient(riverpgxv5.New(db), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := &events.Outbox{River: rc}
	count := func() map[string]int {
		rows, _ := db.Query(ctx, `SELECT type FROM events`)
		types, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, ty := range types {
			out[ty]++
		}
		return out
	}
	for range 2 {
		if err := Run(ctx, db, outbox, 5, time.Date(2024, time.November, 27, 8, 0, 0, 0, Vietnam), nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got[ObligationCreated] != 3 || got[ObligationOverdue] != 2 || got[ObligationDueSoon] != 1 || got[ObligationPaid] != 0 {
		t.Fatalf("events = %v", got)
	}
	st, _ := LoadStatement(ctx, db, u, day("2024-11-28"))
	if st.Balance.String() != "9681600" {
		t.Fatalf("balance on 28 Nov = %s, want 9681600", st.Balance)
	}
	paid(t, db, u, "pay_fullPayment000000001", "9681600", time.Date(2024, time.November, 28, 10, 0, 0, 0, Vietnam))
	for range 2 {
		if err := Run(ctx, db, outbox, 5, time.Date(2024, time.November, 28, 11, 0, 0, 0, Vietnam), nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got[ObligationPaid] != 3 || got[ObligationCreated] != 3 || got[ObligationOverdue] != 2 {
		t.Fatalf("events after payment = %v", got)
	}
}

// TestDeclarationInForce: a raise and a join from March 2025 are a new
// declaration; February is still priced with the first, March with the
// newest of two uploads effective that month.
func TestDeclarationInForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, u := newUnit(t, "2024-09")
	declare := func(eff, csv string) {
		emps, err := ParseCSV([]byte(header + csv))
		if err != nil {
			t.Fatal(err)
		}
		inTx(t, db, func(tx pgx.Tx) error {
			_, err := Declare(ctx, tx, u, month(eff), emps, "lines", false)
			return err
		})
	}
	declare("2024-09", "0100000001,A,VN,10000000,0,2024-09,\n")
	declare("2025-03", "0100000001,A,VN,15000000,0,2024-09,\n0100000002,B,VN,8000000,0,2025-03,\n") // superseded
	declare("2025-03", "0100000001,A,VN,20000000,0,2024-09,\n0100000002,B,VN,8000000,0,2025-03,\n")
	tests := []struct{ month, total string }{
		{"2024-08", ""},        // before any declaration
		{"2025-02", "3200000"}, // 32 % of 10,000,000
		{"2025-03", "8960000"}, // 32 % of 28,000,000
		{"2025-12", "8960000"}, // still in force
	}
	for _, tt := range tests {
		p, _, err := PriceMonth(ctx, db, u, month(tt.month), false)
		switch {
		case tt.total == "" && !errors.Is(err, ErrNoDeclaration):
			t.Errorf("%s: err %v, want ErrNoDeclaration", tt.month, err)
		case tt.total != "" && (err != nil || p.Total().String() != tt.total):
			t.Errorf("%s: total %s (%v), want %s", tt.month, p.Total(), err, tt.total)
		}
	}
}

// TestEnsureSkipsMonthsUnderARaisedMinimum: 5,000,000 is above region I's
// 4,960,000 in 2025 but below 5,310,000 from January 2026 (Decree
// 293/2025, unverified): November and December 2025 are made (1,600,000
// each, 32 %), January and February 2026 are skipped with the reason.
func TestEnsureSkipsMonthsUnderARaisedMinimum(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, u := newUnit(t, "2025-11")
	emps, _ := ParseCSV([]byte(header + "0100000001,A,VN,5000000,0,2025-11,\n"))
	var made []Created
	var skipped []error
	inTx(t, db, func(tx pgx.Tx) error {
		if _, err := Declare(ctx, tx, u, month("2025-11"), emps, "lines", false); err != nil {
			return err
		}
		var err error
		made, skipped, err = Ensure(ctx, tx, u, month("2026-02"))
		return err
	})
	var below *BelowMinimumError
	if len(made) != 2 || made[0].Amount.String() != "1600000" || len(skipped) != 2 || !errors.As(skipped[0], &below) || below.Month.String() != "2026-01" {
		t.Fatalf("made %v, skipped %v", made, skipped)
	}
}
