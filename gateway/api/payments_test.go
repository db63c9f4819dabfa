package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func feeBody(ref string) map[string]any {
	return map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref,
		"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}
}

func TestCreatePayment(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey

	res := g.Do(t, "POST", "/v1/payments", key, feeBody("HS-2026-000123"), "Idempotency-Key", "k1")
	if res.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	if p["amount"] != "135000" || p["currency"] != "VND" || p["status"] != "requires_payment_method" || p["kind"] != "fee" || p["agency"] != "KBNN-HN" {
		t.Fatalf("payment = %v", p)
	}
	if !strings.HasPrefix(p["id"].(string), "pay_") || !strings.HasPrefix(p["client_token"].(string), "ct_") {
		t.Fatalf("ids = %v %v", p["id"], p["client_token"])
	}
	if payer := p["payer"].(map[string]any); payer["id_number"] != "*********345" {
		t.Fatalf("ID number not masked: %v", payer)
	}

	// Same key, same body (other key order and spacing): replayed, nothing new.
	replay := g.Do(t, "POST", "/v1/payments", key,
		`{"reference":"HS-2026-000123", "payer":{"id_number":"001099012345","name":"Nguyễn Văn An"},"service":"GPLX-CAPDOI"}`,
		"Idempotency-Key", "k1")
	if replay.Status != http.StatusCreated || replay.Header.Get("Idempotent-Replayed") != "true" || string(replay.Body) != string(res.Body) {
		t.Fatalf("replay = %d %q %s", replay.Status, replay.Header.Get("Idempotent-Replayed"), replay.Body)
	}
	// Same key, different body: refused.
	conflict := g.Do(t, "POST", "/v1/payments", key, feeBody("HS-2026-000999"), "Idempotency-Key", "k1")
	if conflict.Status != http.StatusUnprocessableEntity || conflict.JSON(t)["code"] != "idempotency_key_reused" {
		t.Fatalf("conflicting replay = %d %s", conflict.Status, conflict.Body)
	}
	if n := g.Count(t, "SELECT count(*) FROM payments"); n != 1 {
		t.Fatalf("payments = %d, want 1", n)
	}

	// The portal reads it back; the widget reads it with the client token.
	get := g.Do(t, "GET", "/v1/payments/"+p["id"].(string)+"?expand=agency", key, nil)
	if get.Status != 200 || get.JSON(t)["agency"].(map[string]any)["bank_bin"] == nil {
		t.Fatalf("get = %d %s", get.Status, get.Body)
	}
	widget := g.Do(t, "GET", "/v1/payments/"+p["id"].(string), p["client_token"].(string), nil)
	w := widget.JSON(t)
	if widget.Status != 200 || w["client_token"] != nil || w["metadata"] != nil || w["methods"] == nil || w["agency"].(map[string]any)["account_number"] == nil {
		t.Fatalf("widget view = %d %s", widget.Status, widget.Body)
	}
}

func TestConcurrentSameKeyCreatesOnePayment(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	const n = 50
	var wg sync.WaitGroup
	bodies := make([]string, n)
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000777"), "Idempotency-Key", "same-key")
			codes[i], bodies[i] = res.Status, string(res.Body)
		}(i)
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != http.StatusCreated || bodies[i] != bodies[0] {
			t.Fatalf("request %d = %d %s; first %s", i, codes[i], bodies[i], bodies[0])
		}
	}
	if c := g.Count(t, "SELECT count(*) FROM payments"); c != 1 {
		t.Fatalf("payments = %d, want exactly 1", c)
	}
}

func TestCreatePaymentRejectsBadInput(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"truncated json", `{"service":"GPLX`, 400, "malformed_json", ""},
		{"empty", ``, 400, "malformed_json", ""},
		{"array", `[]`, 422, "invalid_request", "(body)"},
		{"two objects", `{"service":"GPLX-CAPDOI"}{}`, 400, "malformed_json", ""},
		{"unknown field", `{"service":"GPLX-CAPDOI","amout":"1"}`, 422, "invalid_request", "amout"},
		{"amount as number", `{"service":"XPVPHC-GT","amount":1000000}`, 422, "invalid_request", "amount"},
		{"exponent", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"1e9","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "amount"},
		{"negative zero", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"-0","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "amount"},
		{"fraction of a dong", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"1000.5","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "amount"},
		{"huge number", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"99999999999999999999999","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "amount"},
		{"full-width digits", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"１０００００","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "amount"},
		{"bidi override in name", `{"service":"GPLX-CAPDOI","reference":"HS-000123","payer":{"name":"A\u202eB","id_number":"001099012345"}}`, 422, "invalid_request", "payer.name"},
		{"zero-width in name", `{"service":"GPLX-CAPDOI","reference":"HS-000123","payer":{"name":"A\u200bB","id_number":"001099012345"}}`, 422, "invalid_request", "payer.name"},
		{"bad fine reference", `{"service":"XPVPHC-GT","reference":"HS-000123","amount":"1000000","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "reference"},
		{"below service minimum", `{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"1000","payer":{"name":"A","id_number":"001099012345"}}`, 422, "amount_out_of_bounds", ""},
		{"fixed fee with other amount", `{"service":"GPLX-CAPDOI","reference":"HS-000123","amount":"1000","payer":{"name":"A","id_number":"001099012345"}}`, 422, "amount_mismatch", ""},
		{"computed without quote", `{"service":"THUE-TNDN","reference":"12345678901","payer":{"name":"A","tax_code":"0101234567"}}`, 422, "invalid_request", "quote"},
		{"unknown service", `{"service":"NOPE","reference":"HS-000123","payer":{"name":"A","id_number":"001099012345"}}`, 404, "service_not_found", ""},
		{"expiry too far", `{"service":"GPLX-CAPDOI","reference":"HS-000123","expires_at":"2099-01-01T00:00:00Z","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "expires_at"},
		{"expiry not a time", `{"service":"GPLX-CAPDOI","reference":"HS-000123","expires_at":"tomorrow","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "expires_at"},
		{"return url javascript", `{"service":"GPLX-CAPDOI","reference":"HS-000123","return_url":"javascript:alert(1)","payer":{"name":"A","id_number":"001099012345"}}`, 422, "invalid_request", "return_url"},
		{"null payer", `{"service":"GPLX-CAPDOI","reference":"HS-000123","payer":null}`, 422, "invalid_request", "payer"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := g.Do(t, "POST", "/v1/payments", key, tt.body, "Idempotency-Key", fmt.Sprintf("bad-%d", i))
			if res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %q, body %s", res.Header.Get("Content-Type"), res.Body)
			}
			p := res.JSON(t)
			if res.Status != tt.status || p["code"] != tt.code {
				t.Fatalf("= %d %s, want %d %s", res.Status, res.Body, tt.status, tt.code)
			}
			if tt.field != "" && !strings.Contains(string(res.Body), `"field":"`+tt.field+`"`) {
				t.Fatalf("no error for field %s: %s", tt.field, res.Body)
			}
		})
	}
	t.Cleanup(func() {
		if n := g.Count(t, "SELECT count(*) FROM payments"); n != 0 {
			t.Errorf("bad input wrote %d payments", n)
		}
	})
}

func TestAuthAndIsolation(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	ctx := context.Background()
	other, err := portals.Create(ctx, g.Pool, "Other portal", "", []string{"KBNN-HCM"})
	if err != nil {
		t.Fatal(err)
	}
	created := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000555"), "Idempotency-Key", "iso")
	id := created.JSON(t)["id"].(string)

	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code                    string
	}{
		{"no key", "GET", "/v1/payments", "", nil, 401, "unauthenticated"},
		{"unknown key", "GET", "/v1/payments", "sk_test_nope", nil, 401, "unauthenticated"},
		{"other portal reads", "GET", "/v1/payments/" + id, other.TestKey, nil, 404, "payment_not_found"},
		{"other portal cancels", "POST", "/v1/payments/" + id + "/cancel", other.TestKey, nil, 404, "payment_not_found"},
		{"live key sees no test payment", "GET", "/v1/payments/" + id, g.Portal.LiveKey, nil, 404, "payment_not_found"},
		{"agency not allowed", "POST", "/v1/payments", other.TestKey, feeBody("HS-2026-000556"), 403, "agency_not_allowed"},
		{"client token of another payment", "GET", "/v1/payments/pay_000000000000000000000000", created.JSON(t)["client_token"].(string), nil, 404, "payment_not_found"},
		{"missing idempotency key", "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000557"), 400, "idempotency_key_required"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var hdr []string
			if c.method == "POST" && c.name != "missing idempotency key" {
				hdr = []string{"Idempotency-Key", fmt.Sprintf("iso-%d", i)}
			}
			res := g.Do(t, c.method, c.path, c.key, c.body, hdr...)
			if res.Status != c.status || res.JSON(t)["code"] != c.code {
				t.Fatalf("= %d %s, want %d %s", res.Status, res.Body, c.status, c.code)
			}
		})
	}
}

func TestListPaginationAndCancel(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	const total = 45
	for i := 0; i < total; i++ {
		res := g.Do(t, "POST", "/v1/payments", key, feeBody(fmt.Sprintf("HS-2026-%06d", i)), "Idempotency-Key", fmt.Sprintf("list-%d", i))
		if res.Status != 201 {
			t.Fatalf("create %d = %d %s", i, res.Status, res.Body)
		}
	}
	seen := map[string]bool{}
	after := ""
	pages := 0
	for {
		path := "/v1/payments?limit=10&kind=fee"
		if after != "" {
			path += "&starting_after=" + after
		}
		page := g.Do(t, "GET", path, key, nil).JSON(t)
		for _, d := range page["data"].([]any) {
			id := d.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("payment %s listed twice", id)
			}
			seen[id] = true
		}
		pages++
		if page["has_more"] != true {
			break
		}
		after = page["next_starting_after"].(string)
	}
	if len(seen) != total || pages != 5 {
		t.Fatalf("listed %d payments in %d pages, want %d in 5", len(seen), pages, total)
	}

	var id string
	for k := range seen {
		id = k
		break
	}
	if res := g.Do(t, "POST", "/v1/payments/"+id+"/cancel", key, nil); res.Status != 200 || res.JSON(t)["status"] != "canceled" {
		t.Fatalf("cancel = %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "POST", "/v1/payments/"+id+"/cancel", key, nil); res.Status != 409 || res.JSON(t)["code"] != "invalid_state_transition" {
		t.Fatalf("second cancel = %d %s", res.Status, res.Body)
	}
	if n := g.Count(t, "SELECT count(*) FROM events WHERE type = 'payment.canceled' AND payment_id = $1", id); n != 1 {
		t.Fatalf("payment.canceled events = %d", n)
	}
	if res := g.Do(t, "GET", "/v1/payments?status=canceled", key, nil); len(res.JSON(t)["data"].([]any)) != 1 {
		t.Fatalf("status filter: %s", res.Body)
	}
	for _, bad := range []string{"limit=0", "limit=101", "status=paid", "starting_after=pay_nope", "foo=1", "created_from=yesterday"} {
		if res := g.Do(t, "GET", "/v1/payments?"+bad, key, nil); res.Status != 422 {
			t.Fatalf("%s = %d %s", bad, res.Status, res.Body)
		}
	}
}
