package quotes

import (
	"context"
	"encoding/json"
	"errors"
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
    ('por_portalBBBB0002', 'Portal B', 'whsec_b');
INSERT INTO si_units (id, portal_id, livemode, code, name, tax_code, service_code, region, oa_rate, first_month) VALUES
    ('siu_testUnit000000000000001', 'por_portalAAAA0001', true, 'TA0001A', 'Công ty A', '0101234567', 'BHXH-BATBUOC', 1, 0.005, '2024-07-01');
INSERT INTO si_declarations (id, unit_id, effective_from, employees) VALUES
    ('sid_testDecl000000000000001', 'siu_testUnit000000000000001', '2024-07-01', 2);
INSERT INTO si_employees (declaration_id, line, si_number, full_name, foreign_worker, salary, allowances, from_month) VALUES
    ('sid_testDecl000000000000001', 2, '0100000001', 'Nguyễn Văn A', false, 100000000, 0, '2024-07-01'),
    ('sid_testDecl000000000000001', 3, '0100000002', 'Trần Thị B', false, 5000000, 0, '2024-07-01');`

const portalA, portalB = "por_portalAAAA0001", "por_portalBBBB0002"

func newDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := pgtest.New(t)
	if _, err := db.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatal(err)
	}
	return db
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
		// 100M and 5M: SI/OA/HI on 46.8M + 5M (30% of 51.8M = 15,540,000), UI on
		// 99.2M + 5M (2% of 104.2M = 2,084,000); the fund-wide cap gave 30,180,000.
		{"social insurance", Request{Service: "BHXH-BATBUOC", Inputs: map[string]string{
			"si_unit": testUnit, "period": "2024-11"}},
			RuleSocialInsurance, contributionCodes, "17624000", TTL},
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
		return Request{Service: "BHXH-BATBUOC", Inputs: map[string]string{"si_unit": testUnit, "period": period}}
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
		{"period before any declaration", si("2024-06"), []string{"inputs.period=unsupported_period"}},
		// 2026: region I minimum wage 5,310,000 (Decree 293/2025) > the declared 5,000,000.
		{"salary below the 2026 minimum", si("2026-01"), []string{"inputs.period=below_minimum_wage"}},
	}
	for _, tt := range fieldCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Create(ctx, db, portalA, true, tt.req, testNow)
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
