package quotes

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	req, err := ParseRequest([]byte(`{"service": "THUE-TNDN", "inputs": {"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}
	if req.Service != "THUE-TNDN" || !maps.Equal(req.Inputs, want) {
		t.Fatalf("req = %+v", req)
	}
	if req, err := ParseRequest([]byte(`{"service":"HT-KHAISINH"}`)); err != nil || req.Service != "HT-KHAISINH" || len(req.Inputs) != 0 {
		t.Fatalf("no inputs: %+v, %v", req, err)
	}
}

func TestParseRequestRejects(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("9", maxInputBytes+1)
	many := `{"service":"X1","inputs":{` + strings.TrimSuffix(strings.Repeat(`"k":"v",`, 1), ",")
	for i := range maxInputs {
		many += `,"k` + string(rune('a'+i)) + `":"v"`
	}
	many += `}}`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty", ``, []string{"body=malformed_body"}},
		{"null", `null`, []string{"body=malformed_body"}},
		{"array", `[]`, []string{"body=malformed_body"}},
		{"truncated", `{"service":"X1"`, []string{"body=malformed_body"}},
		{"trailing object", `{"service":"X1"}{}`, []string{"body=malformed_body"}},
		{"trailing garbage", `{"service":"X1"} x`, []string{"body=malformed_body"}},
		{"missing service", `{}`, []string{"service=required"}},
		{"service not a string", `{"service":42}`, []string{"service=not_a_string", "service=required"}},
		{"lower-case service", `{"service":"thue-tndn"}`, []string{"service=invalid"}},
		{"unknown top-level field", `{"service":"X1","amount":"5"}`, []string{"amount=unknown_field"}},
		{"repeated service", `{"service":"X1","service":"X2"}`, []string{"service=duplicate_field"}},
		{"repeated input", `{"service":"X1","inputs":{"amount":"1","amount":"999"}}`, []string{"inputs.amount=duplicate_field"}},
		{"number input", `{"service":"X1","inputs":{"amount":125000000}}`, []string{"inputs.amount=not_a_string"}},
		{"null input", `{"service":"X1","inputs":{"amount":null}}`, []string{"inputs.amount=not_a_string"}},
		{"inputs not an object", `{"service":"X1","inputs":["1"]}`, []string{"inputs=invalid"}},
		{"inputs null", `{"service":"X1","inputs":null}`, []string{"inputs=invalid"}},
		{"value too long", `{"service":"X1","inputs":{"amount":"` + long + `"}}`, []string{"inputs.amount=too_long"}},
		{"too many inputs", many, []string{"inputs=too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRequest([]byte(tt.body))
			wantFieldCodes(t, err, tt.want...)
		})
	}
}

func TestFieldErrorsError(t *testing.T) {
	t.Parallel()
	err := fieldError("inputs.amount", CodeInvalidAmount, "bad")
	if got := err.Error(); got != "invalid request: inputs.amount: bad" {
		t.Fatalf("Error() = %q", got)
	}
	var none FieldErrors
	if none.err() != nil {
		t.Fatal("empty FieldErrors must be a nil error")
	}
}

// The pure pricing path, with the seeded tables standing in for the database.
var (
	fixedSvc    = catalog.Service{Code: "HT-KHAISINH", AmountRule: catalog.RuleFixed, FixedAmount: ptr(dec("8000")), Name: catalog.LocalizedName{VI: "Đăng ký khai sinh (lệ phí)", EN: "Birth registration fee"}}
	declaredSvc = catalog.Service{Code: "XPVPHC-GT", AmountRule: catalog.RulePayerDeclared, MinAmount: ptr(dec("50000")), MaxAmount: ptr(dec("75000000"))}
	taxSvc      = catalog.Service{Code: "THUE-TNDN", AmountRule: catalog.RuleComputed, ComputedRule: RuleTaxLateInterest}
	siSvc       = catalog.Service{Code: "BHXH-BATBUOC", AmountRule: catalog.RuleComputed, ComputedRule: RuleSocialInsurance}
	hhSvc       = catalog.Service{Code: "BHYT-HGD", AmountRule: catalog.RuleComputed, ComputedRule: RuleHouseholdHealth}
	testNow     = time.Date(2026, time.November, 23, 10, 0, 0, 0, vietnam)
)

func ptr(d decimal.Decimal) *decimal.Decimal { return &d }

func TestPrice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		svc    catalog.Service
		in     map[string]string
		rule   string
		amount []string
	}{
		{"fixed", fixedSvc, nil, RuleFixed, []string{"8000"}},
		{"declared at min", declaredSvc, map[string]string{"amount": "50000"}, RulePayerDeclared, []string{"50000"}},
		{"declared at max", declaredSvc, map[string]string{"amount": "75000000"}, RulePayerDeclared, []string{"75000000"}},
		{"tax", taxSvc, map[string]string{"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}, RuleTaxLateInterest, []string{"125000000", "4312500"}},
		// Per-employee caps: SI/OA/HI base 46.8M + 5M = 51.8M, UI base 99.2M + 5M = 104.2M
		// (the old fund-wide cap charged SI on 93.6M).
		{"social insurance", siSvc, map[string]string{"si_unit": testUnit, "period": "2026-11"}, RuleSocialInsurance,
			[]string{"8806000", "259000", "1554000", "1042000", "4144000", "777000", "1042000"}},
		// 2,340,000 × 4.5 % = 105,300 a month; × 70 % = 73,710; × 12 months.
		{"household", hhSvc, map[string]string{"months": "12", "member_1": "GD4797931234567 Nguyễn Văn An", "member_2": "GD4797931234568 Trần Thị Bình"},
			RuleHouseholdHealth, []string{"1263600", "884520"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rule, lines, err := price(tt.svc, tt.in, testNow, seededTables)
			if err != nil {
				t.Fatal(err)
			}
			if rule != tt.rule || strings.Join(amounts(lines), " ") != strings.Join(tt.amount, " ") {
				t.Fatalf("rule %s amounts %v; want %s %v", rule, amounts(lines), tt.rule, tt.amount)
			}
		})
	}
}

func TestPriceRejectsAmountSpellings(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "0", "-0", "00", "-1", "+1", "1e9", "1E3", "1000.5", "1000.0", "0125000", " 125000", "125000 ",
		"1,000,000", "1_000", "0x10", "١٢٣٤٥٦", "１２３４５６", "1000000000000000", "99999999999999999999", "NaN", "Infinity"} {
		_, _, err := price(declaredSvc, map[string]string{"amount": s}, testNow, seededTables)
		var fe *FieldErrors
		if !errors.As(err, &fe) || len(*fe) != 1 || (*fe)[0].Field != "inputs.amount" {
			t.Errorf("amount %q: err = %v", s, err)
		}
	}
}

func TestPriceRejects(t *testing.T) {
	t.Parallel()
	tax := func(kv ...string) map[string]string {
		m := map[string]string{"overdue_amount": "125000000", "due_date": "2026-07-30", "payment_date": "2026-11-23"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "-" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	si := func(kv ...string) map[string]string {
		m := map[string]string{"si_unit": testUnit, "period": "2026-11"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		svc  catalog.Service
		in   map[string]string
		want []string
	}{
		{"fixed takes no inputs", fixedSvc, map[string]string{"amount": "8000"}, []string{"inputs.amount=unknown_field"}},
		{"declared missing", declaredSvc, nil, []string{"inputs.amount=required"}},
		{"declared below min", declaredSvc, map[string]string{"amount": "49999"}, []string{"inputs.amount=out_of_range"}},
		{"declared above max", declaredSvc, map[string]string{"amount": "75000001"}, []string{"inputs.amount=out_of_range"}},
		{"tax inputs missing", taxSvc, map[string]string{}, []string{"inputs.overdue_amount=required", "inputs.due_date=required"}},
		{"tax misspelt input", taxSvc, tax("overdue", "5"), []string{"inputs.overdue=unknown_field"}},
		{"tax bad date", taxSvc, tax("due_date", "2026-7-30"), []string{"inputs.due_date=invalid_date"}},
		{"tax impossible date", taxSvc, tax("due_date", "2026-02-30"), []string{"inputs.due_date=invalid_date"}},
		{"tax due in the future", taxSvc, tax("due_date", "2026-12-01"), []string{"inputs.payment_date=before_due_date"}},
		{"tax amount zero", taxSvc, tax("overdue_amount", "0"), []string{"inputs.overdue_amount=invalid_amount"}},
		{"si future period", siSvc, si("period", "2026-12"), []string{"inputs.period=out_of_range"}},
		{"si bad month", siSvc, si("period", "2026-13"), []string{"inputs.period=invalid_date"}},
		{"household bad months and member", hhSvc, map[string]string{"months": "5", "member_1": "HS4797931234567 An"},
			[]string{"inputs.months=out_of_range", "inputs.member_1=invalid"}},
		{"household gap", hhSvc, map[string]string{"months": "3", "member_2": "GD4797931234567 An"},
			[]string{"inputs.member_2=invalid"}},
		{"si unknown unit", siSvc, si("si_unit", "siu_other"), []string{"inputs.si_unit=not_found"}},
		{"si old inputs", siSvc, si("salary_fund", "250000000"), []string{"inputs.salary_fund=unknown_field"}},
		{"si period without declaration", siSvc, si("period", "2024-06"), []string{"inputs.period=unsupported_period"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rule, lines, err := price(tt.svc, tt.in, testNow, seededTables)
			if rule != "" || lines != nil {
				t.Fatalf("rule %q lines %v alongside an error", rule, lines)
			}
			wantFieldCodes(t, err, tt.want...)
		})
	}
}

func TestPriceMisconfiguredService(t *testing.T) {
	t.Parallel()
	for svc, in := range map[*catalog.Service]map[string]string{
		{Code: "A1", AmountRule: catalog.RuleFixed}:                               nil,
		{Code: "A2", AmountRule: catalog.RulePayerDeclared}:                       {"amount": "5"},
		{Code: "A3", AmountRule: catalog.RuleComputed, ComputedRule: "lottery"}:   nil,
		{Code: "A4", AmountRule: catalog.RuleFixed, FixedAmount: ptr(dec("0.5"))}: nil,
	} {
		_, _, err := price(*svc, in, testNow, seededTables)
		var fe *FieldErrors
		if err == nil || errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a configuration error", svc.Code, err)
		}
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2026, time.November, 23, h, m, 0, 0, vietnam) }
	tests := []struct {
		rule    string
		created time.Time
		want    time.Time
	}{
		{RuleTaxLateInterest, at(10, 0), at(10, 30)},
		{RuleTaxLateInterest, at(23, 50), at(24, 0)},
		{RuleSocialInsurance, at(23, 50), at(24, 20)},
		{RuleFixed, at(10, 0), at(10, 30)},
	}
	for _, tt := range tests {
		if got := expiry(tt.rule, tt.created.UTC()); !got.Equal(tt.want) {
			t.Errorf("expiry(%s, %v) = %v, want %v", tt.rule, tt.created, got, tt.want)
		}
	}
}

func TestJSONAmountsAreStrings(t *testing.T) {
	t.Parallel()
	q := Quote{ID: "quo_x", Service: "S1", Rule: RuleFixed, Inputs: map[string]string{},
		Lines: Lines{{Code: LineFee, Amount: dec("1250000")}}, Total: dec("1250000"), Currency: Currency}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	line := got["lines"].([]any)[0].(map[string]any)
	if got["object"] != "quote" || got["id"] != "quo_x" || got["total"] != "1250000" || line["amount"] != "1250000" {
		t.Fatalf("json = %s", b)
	}
	if _, ok := line["basis"]; ok {
		t.Fatalf("empty basis should be omitted: %s", b)
	}
	var back Lines
	if err := json.Unmarshal(mustJSON(t, q.Lines), &back); err != nil || !back.Total().Equal(q.Total) {
		t.Fatalf("round trip = %v, %v", back, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckUsable(t *testing.T) {
	t.Parallel()
	q := Quote{ExpiresAt: testNow.Add(TTL)}
	if err := q.CheckUsable(testNow.Add(TTL - time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	if err := q.CheckUsable(testNow.Add(TTL)); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
}
