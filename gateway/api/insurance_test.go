package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// payroll is n valid CSV rows with salaries from 5,000,000 to 104,000,000
// (around both caps); bad maps a line number to a replacement row.
func payroll(n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString("si_number,full_name,nationality,salary,allowances,from_month,to_month\n")
	for i := range n {
		if row, ok := bad[i+2]; ok {
			b.WriteString(row + "\n")
			continue
		}
		fmt.Fprintf(&b, "%010d,Nhân viên %d,VN,%d,0,2024-09,\n", 100000000+i, i, 5_000_000+(i%100)*1_000_000)
	}
	return b.String()
}

func errorFields(t *testing.T, res gatewaytest.Response) []string {
	t.Helper()
	var out []string
	for _, e := range res.JSON(t)["errors"].([]any) {
		m := e.(map[string]any)
		out = append(out, m["field"].(string)+"="+m["code"].(string))
	}
	return out
}

// TestSIUnitDeclarationStatementAndBalancePayment drives the API on
// 10 December 2024: a 10,000-employee upload with errors on scattered rows
// stores nothing; a one-employee payroll (10,000,000 → 3,200,000 a month
// from September) then owes, with September to November unpaid: late
// days 70 + 39 + 9 = 118 × 960 = 113,280 of interest, 12,913,280 with
// December's 3,200,000; on 20 December 80 + 49 + 19 = 148 days: 142,080.
func TestSIUnitDeclarationStatementAndBalancePayment(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, time.December, 10, 12, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	g := gatewaytest.Start(t, func(d *api.Deps) { d.Now = func() time.Time { return now } })
	key := g.Portal.TestKey
	unit := g.Do(t, "POST", "/v1/si-units", key, `{"code":"TB0002A","name":"Công ty B","tax_code":"0107654321","service":"BHXH-BATBUOC","region":1,"first_month":"2024-09"}`)
	if unit.Status != 201 {
		t.Fatalf("unit = %d %s", unit.Status, unit.Body)
	}
	id := unit.JSON(t)["id"].(string)
	if dup := g.Do(t, "POST", "/v1/si-units", key, `{"code":"TB0002A","name":"Công ty B","tax_code":"0107654321","service":"BHXH-BATBUOC","region":1,"first_month":"2024-09"}`); dup.Status != 409 {
		t.Fatalf("duplicate unit = %d %s", dup.Status, dup.Body)
	}
	csvPost := func(body, query string) gatewaytest.Response {
		return g.Do(t, "POST", "/v1/si-units/"+id+"/declarations?"+query, key, []byte(body), "Content-Type", "text/csv")
	}

	bad := payroll(10_000, map[int]string{
		2:     "010000000,A,VN,5000000,0,2024-09,",         // 9 digits
		5001:  "0100004999,B,VN,4000000,0,2024-09,",        // below region I's 4,960,000
		9000:  "0100008998,C,VN,5000000,0,2024-09,2024-08", // leaves before joining
		10001: "0100000001,D,VN,5000000,0,2024-09,",        // repeats line 3
	})
	res := csvPost(bad, "effective_from=2024-09")
	want := []string{"lines[2].si_number=invalid", "lines[9000].to_month=invalid_month", "lines[10001].si_number=duplicate_si_number"}
	if res.Status != 422 || !slices.Equal(errorFields(t, res), want) {
		t.Fatalf("bad upload = %d %v", res.Status, errorFields(t, res))
	}
	// The floor needs the unit's region, so it is checked once the rows parse.
	floor := payroll(10_000, map[int]string{5001: "0100004999,B,VN,4000000,0,2024-09,", 7777: "0100007775,E,VN,4959999,0,2024-09,"})
	if res := csvPost(floor, "effective_from=2024-09"); res.Status != 422 ||
		!slices.Equal(errorFields(t, res), []string{"lines[5001].salary=below_minimum_wage", "lines[7777].salary=below_minimum_wage"}) {
		t.Fatalf("floor upload = %d %s", res.Status, res.Body)
	}
	if n := g.Count(t, `SELECT count(*) FROM si_declarations WHERE unit_id = $1`, id); n != 0 {
		t.Fatalf("%d declarations stored from files with errors", n)
	}

	res = csvPost("si_number,full_name,nationality,salary,allowances,from_month,to_month\n0100000001,Nguyễn Văn A,VN,10000000,0,2024-09,\n", "effective_from=2024-09&by_employee=true")
	if res.Status != 201 || res.JSON(t)["contributions"].(map[string]any)["total"] != "3200000" {
		t.Fatalf("declaration = %d %s", res.Status, res.Body)
	}

	// Per employee on request: exact, unrounded (10,000,000 × 1.5 % = 150,000).
	con := g.Do(t, "GET", "/v1/si-units/"+id+"/contributions?month=2024-10&by_employee=true", key, nil)
	if con.Status != 200 || con.JSON(t)["by_employee"].([]any)[0].(map[string]any)["contributions"].(map[string]any)["employee_health"] != "150000" {
		t.Fatalf("contributions = %d %s", con.Status, con.Body)
	}
	if res := g.Do(t, "GET", "/v1/si-units/"+id+"/contributions?month=2024-08", key, nil); res.Status != 422 || res.JSON(t)["code"] != "no_declaration" {
		t.Fatalf("month before the declaration = %d %s", res.Status, res.Body)
	}

	pay := g.Do(t, "POST", "/v1/si-units/"+id+"/payments", key, `{}`, "Idempotency-Key", "si-balance-1")
	if pay.Status != 201 {
		t.Fatalf("balance payment = %d %s", pay.Status, pay.Body)
	}
	p := pay.JSON(t)
	if p["amount"] != "12913280" || p["expires_at"] != "2024-12-10T17:00:00Z" || p["reference"] != "TB0002A" {
		t.Fatalf("balance payment = %s", pay.Body)
	}
	if n := g.Count(t, `SELECT count(*) FROM payments WHERE si_unit_id = $1`, id); n != 1 {
		t.Fatalf("payments linked to the unit: %d", n)
	}
	st := g.Do(t, "GET", "/v1/si-units/"+id+"/statement?date=2024-12-20", key, nil)
	if st.Status != 200 || st.JSON(t)["balance"] != "12942080" || st.JSON(t)["interest_outstanding"] != "142080" {
		t.Fatalf("statement = %d %s", st.Status, st.Body)
	}
	if res := g.Do(t, "GET", "/v1/si-units/siu_nobody0000000000000000/statement", key, nil); res.Status != http.StatusNotFound {
		t.Fatalf("unknown unit = %d", res.Status)
	}
}

// BenchmarkDeclarationUpload10k: one 10,000-employee CSV upload over HTTP,
// parsed, checked against the floor, stored (COPY) and its month priced.
// The bound is 2 s per upload.
func BenchmarkDeclarationUpload10k(b *testing.B) {
	g := gatewaytest.Start(b)
	key := g.Portal.TestKey
	unit := g.Do(b, "POST", "/v1/si-units", key, `{"code":"TC0003A","name":"Công ty C","tax_code":"0101112223","service":"BHXH-BATBUOC","region":1,"first_month":"2024-09"}`)
	id := unit.JSON(b)["id"].(string)
	body := []byte(payroll(10_000, nil))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		res := g.Do(b, "POST", "/v1/si-units/"+id+"/declarations?effective_from=2024-09", key, body, "Content-Type", "text/csv")
		if res.Status != 201 {
			b.Fatalf("upload = %d %s", res.Status, res.Body)
		}
	}
}

// TestHouseholdRenewal: two members for 12 months on the base salary
// 2,340,000 (in force since July 2024): 105,300 × 12 = 1,263,600 and
// 73,710 × 12 = 884,520, 2,148,120 in all; the quote's lines name the
// members and the payment charges its total under the card code.
func TestHouseholdRenewal(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	q := g.Do(t, "POST", "/v1/quotes", key, `{"service":"BHYT-HGD","inputs":{"months":"12",
		"member_1":"GD4797931234567 Nguyễn Văn An","member_2":"GD4797931234568 Trần Thị Bình"}}`)
	if q.Status != 201 || q.JSON(t)["total"] != "2148120" {
		t.Fatalf("household quote = %d %s", q.Status, q.Body)
	}
	lines := q.JSON(t)["lines"].([]any)
	if l := lines[1].(map[string]any); l["amount"] != "884520" || !strings.Contains(l["label"].(map[string]any)["vi"].(string), "Trần Thị Bình") {
		t.Fatalf("second member's line = %v", l)
	}
	pay := g.Do(t, "POST", "/v1/payments", key, map[string]any{"service": "BHYT-HGD", "reference": "GD4797931234567", "quote": q.JSON(t)["id"],
		"payer": map[string]any{"name": "Nguyễn Văn An", "tax_code": "8012345678"}}, "Idempotency-Key", "household-1")
	if pay.Status != 201 || pay.JSON(t)["amount"] != "2148120" {
		t.Fatalf("household payment = %d %s", pay.Status, pay.Body)
	}
	if bad := g.Do(t, "POST", "/v1/quotes", key, `{"service":"BHYT-HGD","inputs":{"months":"5","member_1":"HS4797931234567 An"}}`); bad.Status != 422 || len(errorFields(t, bad)) != 2 {
		t.Fatalf("bad household quote = %d %s", bad.Status, bad.Body)
	}
}

// TestBalancePaymentSettlesIntoObligations: on the real clock, a unit
// owing this month's 3,200,000 (10,000,000 × 32 %) pays its balance; the
// settler's hook records the payment for the unit in the settlement
// transaction, and today's statement owes nothing.
func TestBalancePaymentSettlesIntoObligations(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	this := time.Now().In(time.FixedZone("ICT", 7*3600)).Format("2006-01")
	unit := g.Do(t, "POST", "/v1/si-units", key, `{"code":"TD0004A","name":"Công ty D","tax_code":"0101112224","service":"BHXH-BATBUOC","region":1,"first_month":"`+this+`"}`)
	id := unit.JSON(t)["id"].(string)
	decl := g.Do(t, "POST", "/v1/si-units/"+id+"/declarations", key, `{"effective_from":"`+this+`","employees":[
		{"si_number":"0100000001","full_name":"Nguyễn Văn A","nationality":"VN","salary":"10000000","from_month":"`+this+`"}]}`)
	if decl.Status != 201 {
		t.Fatalf("declaration = %d %s", decl.Status, decl.Body)
	}
	pay := g.Do(t, "POST", "/v1/si-units/"+id+"/payments", key, `{}`, "Idempotency-Key", "si-now-1")
	if pay.Status != 201 || pay.JSON(t)["amount"] != "3200000" {
		t.Fatalf("balance payment = %d %s", pay.Status, pay.Body)
	}
	r, err := g.App.Settler.Settle(context.Background(), banks.Callback{Provider: "momo", TxnID: "si-now-1", PaymentID: pay.JSON(t)["id"].(string),
		Amount: decimal.RequireFromString("3200000"), Currency: "VND", Succeeded: true, Raw: []byte("{}")})
	if err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", r, err)
	}
	if n := g.Count(t, `SELECT count(*) FROM si_payments WHERE unit_id = $1 AND amount = 3200000`, id); n != 1 {
		t.Fatalf("si_payments rows: %d", n)
	}
	st := g.Do(t, "GET", "/v1/si-units/"+id+"/statement", key, nil)
	if st.JSON(t)["balance"] != "0" || len(st.JSON(t)["payments"].([]any)) != 1 {
		t.Fatalf("statement after payment = %s", st.Body)
	}
	if again := g.Do(t, "POST", "/v1/si-units/"+id+"/payments", key, `{}`, "Idempotency-Key", "si-now-2"); again.Status != 422 || again.JSON(t)["code"] != "nothing_owed" {
		t.Fatalf("second balance payment = %d %s", again.Status, again.Body)
	}
}
