package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestReceiptEndpoints(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	ctx := context.Background()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{
		"service": "GPLX-CAPDOI", "reference": "HS-2026-000777", "payer": map[string]any{"name": "Lê Thị Hoa", "id_number": "079199012345"},
	}, "Idempotency-Key", "receipt-endpoints-1")
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	id, ct := p["id"].(string), p["client_token"].(string)
	path := "/v1/payments/" + id + "/receipt"

	if r := g.Do(t, "GET", path, g.Portal.TestKey, nil); r.Status != 404 || r.JSON(t)["code"] != "receipt_not_found" {
		t.Fatalf("receipt before payment: %d %s", r.Status, r.Body)
	}
	cb := banks.Callback{Provider: "momo", TxnID: "MOMO-RCPT-1", PaymentID: id, OrderID: banks.OrderID(id, 1),
		Amount: decimal.RequireFromString("135000"), Currency: "VND", Succeeded: true, Raw: []byte(`{}`)}
	if out, err := g.App.Settler.SettleAll(ctx, cb); err != nil || out[0].Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", out, err)
	}

	cases := []struct {
		name, path, key string
		status          int
		contentType     string
		contains        string
	}{
		{"json, secret key", path, g.Portal.TestKey, 200, "application/json", `"amount_words":"Một trăm ba mươi lăm nghìn đồng"`},
		{"json, client token", path, ct, 200, "application/json", `"payer_id_masked":"********2345"`},
		{"json, another payment", "/v1/payments/pay_000000000000000000000000/receipt", g.Portal.TestKey, 404, "application/problem+json", "payment_not_found"},
		{"json, no key", path, "", 401, "application/problem+json", "unauthenticated"},
		{"pdf", path + ".pdf", g.Portal.TestKey, 200, "application/pdf", "%PDF-"},
		{"html", path + ".html", ct, 200, "text/html", "Một trăm ba mươi lăm nghìn đồng"},
		{"keys", "/.well-known/civicpay-receipt-keys.json", "", 200, "application/json", `"crv":"Ed25519"`},
		{"verify, no such number", "/verify/CP-26E/9999999", "", 404, "text/html", "Không tìm thấy biên lai"},
		{"verify, not a number", "/verify/CP-26E/abc", "", 404, "application/problem+json", "receipt_not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := g.Do(t, "GET", c.path, c.key, nil)
			if r.Status != c.status || !strings.HasPrefix(r.Header.Get("Content-Type"), c.contentType) || !strings.Contains(string(r.Body), c.contains) {
				t.Errorf("GET %s: %d %s, want %d %s containing %q: %.300s", c.path, r.Status, r.Header.Get("Content-Type"), c.status, c.contentType, c.contains, r.Body)
			}
		})
	}

	// A third party verifies the JSON answer with the published key set.
	var rcpt receipts.Receipt
	if err := json.Unmarshal(g.Do(t, "GET", path, g.Portal.TestKey, nil).Body, &rcpt); err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []receipts.PublicKey }
	if err := json.Unmarshal(g.Do(t, "GET", "/.well-known/civicpay-receipt-keys.json", "", nil).Body, &set); err != nil {
		t.Fatal(err)
	}
	if err := receipts.Check(set.Keys, rcpt); err != nil {
		t.Fatalf("the receipt does not verify with the published keys: %v", err)
	}

	// The QR code's page says genuine; after one byte of the stored receipt
	// changes (only the schema's owner could), it says altered.
	u, err := url.Parse(rcpt.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	verify := u.Path + "?" + u.RawQuery
	if r := g.Do(t, "GET", verify, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "Biên lai hợp lệ") {
		t.Fatalf("verify page of a genuine receipt: %d %.500s", r.Status, r.Body)
	}
	tamper := `ALTER TABLE receipts DISABLE TRIGGER receipts_append_only;
		UPDATE receipts SET canonical = replace(canonical, '"amount":"135000"', '"amount":"135001"');
		ALTER TABLE receipts ENABLE TRIGGER receipts_append_only;`
	if _, err := g.Pool.Exec(ctx, tamper); err != nil {
		t.Fatal(err)
	}
	if r := g.Do(t, "GET", verify, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "KHÔNG hợp lệ") || !strings.Contains(string(r.Body), "135.001") {
		t.Fatalf("verify page of an altered receipt: %d %.800s", r.Status, r.Body)
	}
}
