package quotes

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/internal/pgtest"
)

// fixtureSQL is the least catalogue the rules need, plus two portals; it
// mirrors the demo seed's codes without depending on that package.
const fixtureSQL = `
INSERT INTO agencies (code, name, bank_bin, bank_name, account_number, account_name, demo) VALUES
    ('KBNN-HCM', 'Kho bạc Nhà nước TP.HCM (test)', '970415', 'VietinBank', '711179000001', 'KHO BAC NHA NUOC TP HCM', true),
    ('BHXH-VN',  'Bảo hiểm xã hội Việt Nam (test)', '970418', 'BIDV', '12010000999999', 'BAO HIEM XA HOI VIET NAM', true);
INSERT INTO services (code, agency_code, kind, name_vi, name_en, amount_rule, fixed_amount, min_amount, max_amount, computed_rule) VALUES
    ('HT-KHAISINH',  'KBNN-HCM', 'fee',       'Đăng ký khai sinh (lệ phí)', 'Birth registration fee', 'fixed', 8000, NULL, NULL, NULL),
    ('XPVPHC-GT',    'KBNN-HCM', 'fine',      'Nộp phạt vi phạm hành chính giao thông', 'Traffic fine', 'payer_declared', NULL, 50000, 75000000, NULL),
    ('THUE-TNDN',    'KBNN-HCM', 'tax',       'Thuế TNDN (kèm tiền chậm nộp)', 'Corporate income tax (with late-payment interest)', 'computed', NULL, NULL, NULL, 'tax_late_interest'),
    ('BHXH-BATBUOC', 'BHXH-VN',  'insurance', 'Đóng BHXH, BHYT, BHTN bắt buộc', 'Compulsory social, health and unemployment insurance', 'computed', NULL, NULL, NULL, 'social_insurance');
INSERT INTO portals (id, name, webhook_secret) VALUES
    ('por_portalAAAA0001', 'Portal A', 'whsec_a'),
    ('por_portalBBBB0002', 'Portal B', 'whsec_b');`

const portalA, portalB = "por_portalAAAA0001", "por_portalBBBB0002"

func newDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := pgtest.New(t)
	if _, err := db.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatal(err)
	}
	return db
}

func month(s string) time.Time {
	d, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return d.Time()
}

func TestRatesAt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	// A later change to one rate: older periods must keep the old one.
	if _, err := db.Exec(ctx, `INSERT INTO insurance_rates VALUES ('social', 'employer', 0.175, '2027-01-01')`); err != nil {
		t.Fatal(err)
	}
	rateOf := func(period time.Time) map[string]string {
		rates, err := RatesAt(ctx, db, period)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range rates {
			m[r.Party+"_"+r.Fund] = r.Rate.String() + "@" + r.EffectiveFrom.String()
		}
		return m
	}
	got := rateOf(month("2026-11"))
	if len(got) != 7 || got["employer_social"] != "0.17@2016-06-01" || got["employee_health"] != "0.015@2016-06-01" {
		t.Fatalf("2026-11 rates = %v", got)
	}
	if got := rateOf(month("2027-01")); len(got) != 7 || got["employer_social"] != "0.175@2027-01-01" {
		t.Fatalf("2027-01 rates = %v", got)
	}
	// The day before a change still sees the old rate, in any location.
	eve := time.Date(2026, time.December, 31, 23, 0, 0, 0, time.FixedZone("X", -10*3600))
	if got := rateOf(eve); got["employer_social"] != "0.17@2016-06-01" {
		t.Fatalf("2026-12-31 rate = %v", got["employer_social"])
	}
	if got := rateOf(month("2016-05")); len(got) != 0 {
		t.Fatalf("before any rate: %v", got)
	}
}

func TestCapsAt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	capOf := func(period time.Time, region int) map[string]string {
		caps, err := CapsAt(ctx, db, period, region)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, c := range caps {
			m[c.Fund] = c.Cap.String()
		}
		return m
	}
	for region, ui := range regionalUICap {
		got := capOf(month("2026-11"), region)
		want := map[string]string{"social": "46800000", "occupational_accident": "46800000", "health": "46800000", "unemployment": ui}
		if !maps.Equal(got, want) {
			t.Fatalf("region %d caps = %v, want %v", region, got, want)
		}
	}
	if got := capOf(month("2026-11"), 0); len(got) != 3 || got["unemployment"] != "" {
		t.Fatalf("nationwide only = %v", got)
	}
	if got := capOf(month("2024-06"), 1); len(got) != 0 {
		t.Fatalf("before any cap = %v", got)
	}
	if _, err := CapsAt(ctx, db, month("2026-11"), 5); err == nil {
		t.Fatal("region 5 accepted")
	}
	// A newer nationwide row supersedes older regional ones; on the same date
	// the regional row wins.
	if _, err := db.Exec(ctx, `INSERT INTO insurance_salary_caps VALUES
		('unemployment', 0, 90000000, '2027-01-01'),
		('unemployment', 2, 95000000, '2027-01-01')`); err != nil {
		t.Fatal(err)
	}
	if got := capOf(month("2027-01"), 1)["unemployment"]; got != "90000000" {
		t.Fatalf("region 1 UI cap after nationwide change = %s", got)
	}
	if got := capOf(month("2027-01"), 2)["unemployment"]; got != "95000000" {
		t.Fatalf("region 2 UI cap, same-day regional row = %s", got)
	}
	if got := capOf(month("2026-12"), 1)["unemployment"]; got != "99200000" {
		t.Fatalf("region 1 UI cap before the change = %s", got)
	}
}

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	tests := []struct {
		name    string
		req     Request
		rule    string
		codes   []string
		total   string
		expires time.Duration
	}{
		{"tax late interest", Request{Service: "THUE-TNDN", Inputs: map[string]string{
			"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}},
			RuleTaxLateInterest, []string{"tax_principal", "late_interest"}, "129312500", TTL},
		{"social insurance", Request{Service: "BHXH-BATBUOC", Inputs: map[string]string{
			"salary_fund": "250000000", "employees": "10", "period": "2026-11", "region": "1"}},
			RuleSocialInsurance, contributionCodes, "80000000", TTL},
		{"fixed", Request{Service: "HT-KHAISINH"}, RuleFixed, []string{"fee"}, "8000", TTL},
		{"payer declared", Request{Service: "XPVPHC-GT", Inputs: map[string]string{"amount": "1250000"}},
			RulePayerDeclared, []string{"declared_amount"}, "1250000", TTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := Create(ctx, db, portalA, true, tt.req, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if q.Rule != tt.rule || !slices.Equal(codes(q.Lines), tt.codes) || q.Total.String() != tt.total ||
				!q.Lines.Total().Equal(q.Total) || q.Currency != "VND" || !q.Livemode {
				t.Fatalf("quote = %+v", q)
			}
			if !q.CreatedAt.Equal(testNow) || q.ExpiresAt.Sub(q.CreatedAt) != tt.expires {
				t.Fatalf("created %v expires %v", q.CreatedAt, q.ExpiresAt)
			}
			got, err := Get(ctx, db, portalA, true, q.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := mustJSON(t, got), mustJSON(t, q); string(a) != string(b) {
				t.Fatalf("stored quote differs:\n got %s\nwant %s", a, b)
			}
			for _, other := range []struct {
				portal string
				live   bool
			}{{portalB, true}, {portalA, false}} {
				if _, err := Get(ctx, db, other.portal, other.live, q.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get as %s live=%v: %v", other.portal, other.live, err)
				}
			}
		})
	}
}

func TestCreateStoresWireFormat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	q, err := Create(ctx, db, portalA, false, Request{Service: "THUE-TNDN", Inputs: map[string]string{
		"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var lines, inputs, total string
	if err := db.QueryRow(ctx, `SELECT lines::text, inputs::text, total::text FROM quotes WHERE id = $1`, q.ID).Scan(&lines, &inputs, &total); err != nil {
		t.Fatal(err)
	}
	var stored []map[string]any
	if err := json.Unmarshal([]byte(lines), &stored); err != nil {
		t.Fatal(err)
	}
	if total != "129312500" || stored[1]["amount"] != "4312500" || stored[1]["code"] != "late_interest" {
		t.Fatalf("stored total %s lines %s", total, lines)
	}
	var api map[string]any
	if err := json.Unmarshal(mustJSON(t, q), &api); err != nil {
		t.Fatal(err)
	}
	if api["object"] != "quote" || api["total"] != "129312500" || api["livemode"] != false || api["expires_at"] != "2026-11-23T03:30:00Z" {
		t.Fatalf("api json = %v", api)
	}
}

func TestCreateRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	si := func(period string) Request {
		return Request{Service: "BHXH-BATBUOC", Inputs: map[string]string{"salary_fund": "250000000", "employees": "10", "period": period, "region": "1"}}
	}
	fieldCases := []struct {
		name string
		req  Request
		want []string
	}{
		{"bad service code", Request{Service: "bad code"}, []string{"service=invalid"}},
		{"declared above max", Request{Service: "XPVPHC-GT", Inputs: map[string]string{"amount": "75000001"}}, []string{"inputs.amount=out_of_range"}},
		{"tax paid before due", Request{Service: "THUE-TNDN", Inputs: map[string]string{
			"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-07-01"}}, []string{"inputs.payment_date=before_due_date"}},
		{"period before any rate", si("2016-01"), []string{"inputs.period=unsupported_period"}},
		{"period with rates but no caps", si("2024-06"), []string{"inputs.period=unsupported_period"}},
	}
	for _, tt := range fieldCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Create(ctx, db, portalA, false, tt.req, testNow)
			wantFieldCodes(t, err, tt.want...)
		})
	}
	if _, err := Create(ctx, db, portalA, false, Request{Service: "NO-SUCH"}, testNow); !errors.Is(err, catalog.ErrUnknownService) {
		t.Fatalf("unknown service: %v", err)
	}
	if _, err := Create(ctx, db, "por_nobodyXXXX0000", false, Request{Service: "HT-KHAISINH"}, testNow); !errors.Is(err, pg.ErrCheck) {
		t.Fatalf("unknown portal: %v", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM quotes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rejected requests stored %d quotes (%v)", n, err)
	}
	for _, id := range []string{"", "quo_doesNotExist0000000000", "pay_123", "quo_" + string(make([]byte, 100))} {
		if _, err := Get(ctx, db, portalA, false, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) = %v", id, err)
		}
	}
}

func TestGetRefusesInconsistentQuote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newDB(t)
	q, err := Create(ctx, db, portalA, false, Request{Service: "HT-KHAISINH"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE quotes SET total = total + 1 WHERE id = $1`, q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(ctx, db, portalA, false, q.ID); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("tampered quote: %v", err)
	}
}
