package api_test

import (
	"testing"

	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestQuotesPriceComputedPayments(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey

	// 125,000,000 đồng due 2026-07-30, paid 2026-11-22: late 114 days
	// (31 Jul .. 21 Nov: 1+31+30+31+21) × 0.03 % = 4,275,000 đồng exactly.
	res := g.Do(t, "POST", "/v1/quotes", key, `{"service":"THUE-TNDN","inputs":{"overdue_amount":"125000000","due_date":"2026-07-30","payment_date":"2026-11-22"}}`)
	if res.Status != 201 {
		t.Fatalf("tax quote = %d %s", res.Status, res.Body)
	}
	q := res.JSON(t)
	lines := q["lines"].([]any)
	if q["total"] != "129275000" || len(lines) != 2 || lines[1].(map[string]any)["amount"] != "4275000" {
		t.Fatalf("tax quote = %s", res.Body)
	}

	// A payment made from the quote charges exactly the quoted total, once.
	body := map[string]any{"service": "THUE-TNDN", "reference": "10012345678901", "quote": q["id"],
		"payer": map[string]any{"name": "Công ty TNHH Demo", "tax_code": "0101234567"}}
	pay := g.Do(t, "POST", "/v1/payments", key, body, "Idempotency-Key", "from-quote")
	if pay.Status != 201 || pay.JSON(t)["amount"] != "129275000" || pay.JSON(t)["quote"] != q["id"] {
		t.Fatalf("payment from quote = %d %s", pay.Status, pay.Body)
	}
	again := g.Do(t, "POST", "/v1/payments", key, body, "Idempotency-Key", "from-quote-2")
	if again.Status != 409 || again.JSON(t)["code"] != "quote_already_used" {
		t.Fatalf("second payment from the same quote = %d %s", again.Status, again.Body)
	}
	body["quote"] = q["id"]
	body["amount"] = "129274999"
	if res := g.Do(t, "POST", "/v1/payments", key, body, "Idempotency-Key", "from-quote-3"); res.Status != 422 {
		t.Fatalf("amount differing from quote = %d %s", res.Status, res.Body)
	}

	// Social insurance from the unit's declaration, employee by employee:
	// 100,000,000 and 5,000,000 in region I, November 2024. SI/OA/HI on
	// 46.8M + 5M = 51.8M (30 % = 15,540,000), UI on 99.2M + 5M = 104.2M
	// (2 % = 2,084,000): 17,624,000 in seven lines. The fund-wide cap this
	// replaced charged SI on 2 × 46.8M and quoted 30,180,000.
	unit := g.Do(t, "POST", "/v1/si-units", key, `{"code":"TA0001A","name":"Công ty A","tax_code":"0101234567","service":"BHXH-BATBUOC","region":1,"first_month":"2024-11"}`)
	if unit.Status != 201 {
		t.Fatalf("unit = %d %s", unit.Status, unit.Body)
	}
	unitID := unit.JSON(t)["id"].(string)
	decl := g.Do(t, "POST", "/v1/si-units/"+unitID+"/declarations", key, `{"effective_from":"2024-11","employees":[
		{"si_number":"0100000001","full_name":"Nguyễn Văn A","nationality":"VN","salary":"100000000","from_month":"2024-11"},
		{"si_number":"0100000002","full_name":"Trần Thị B","nationality":"VN","salary":"5000000","from_month":"2024-11"}]}`)
	if decl.Status != 201 {
		t.Fatalf("declaration = %d %s", decl.Status, decl.Body)
	}
	si := g.Do(t, "POST", "/v1/quotes", key, `{"service":"BHXH-BATBUOC","inputs":{"si_unit":"`+unitID+`","period":"2024-11"}}`)
	if si.Status != 201 || si.JSON(t)["total"] != "17624000" || len(si.JSON(t)["lines"].([]any)) != 7 {
		t.Fatalf("insurance quote = %d %s", si.Status, si.Body)
	}
	if got := g.Do(t, "GET", "/v1/quotes/"+si.JSON(t)["id"].(string), key, nil); got.Status != 200 || got.JSON(t)["total"] != "17624000" {
		t.Fatalf("get quote = %d %s", got.Status, got.Body)
	}

	for _, bad := range []string{
		`{"service":"THUE-TNDN","inputs":{"overdue_amount":"1e9","due_date":"2026-07-30"}}`,
		`{"service":"THUE-TNDN","inputs":{"overdue_amount":"1000","due_date":"2026-02-30"}}`,
		`{"service":"BHXH-BATBUOC","inputs":{"salary_fund":"-5","employees":"10","period":"2026-11","region":"1"}}`,
		`{"service":"BHXH-BATBUOC","inputs":{"si_unit":"siu_nobody00000000000000","period":"2024-11"}}`,
		`{"service":"THUE-TNDN","inputs":{"overdue_amount":125000000}}`,
		`{"service":"THUE-TNDN"`,
	} {
		res := g.Do(t, "POST", "/v1/quotes", key, bad)
		if res.Status < 400 || res.Status >= 500 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s = %d %s", bad, res.Status, res.Body)
		}
	}
}
