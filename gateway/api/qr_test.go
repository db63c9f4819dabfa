package api_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// newPayment creates a 135,000 đồng payment and returns its id and client token.
func newPayment(t *testing.T, g *gatewaytest.Gateway, ref string) (id, token string) {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody(ref), "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create payment = %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	return p["id"].(string), p["client_token"].(string)
}

func askQR(t *testing.T, g *gatewaytest.Gateway, id, token, method string) map[string]any {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments/"+id+"/qr", token, map[string]string{"method": method})
	if res.Status != 200 {
		t.Fatalf("qr %s = %d %s", method, res.Status, res.Body)
	}
	return res.JSON(t)
}

func status(t *testing.T, g *gatewaytest.Gateway, id string) string {
	t.Helper()
	return g.Do(t, "GET", "/v1/payments/"+id, g.Portal.TestKey, nil).JSON(t)["status"].(string)
}

func TestEveryProviderEndToEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, feed, provider string
		reply                  func(status int, body string) bool
	}{
		{"bank_qr", "casso", "vietqr", func(s int, b string) bool { return s == 200 && b == `{"success":true}` }},
		{"bank_qr", "sepay", "vietqr", func(s int, b string) bool { return s == 200 && b == `{"success":true}` }},
		{"momo", "", "momo", func(s int, b string) bool { return s == 204 && b == "" }},
		{"zalopay", "", "zalopay", func(s int, b string) bool {
			return s == 200 && b == `{"return_code":1,"return_message":"success"}`
		}},
		{"vnpay", "", "vnpay", func(s int, b string) bool {
			return s == 200 && b == `{"RspCode":"00","Message":"Confirm Success"}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method+"/"+tt.provider+tt.feed, func(t *testing.T) {
			t.Parallel()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			id, token := newPayment(t, g, strings.ToUpper("HS-E2E-"+tt.provider+tt.feed))
			qr := askQR(t, g, id, token, tt.method)
			if qr["provider"] != tt.provider || qr["method"] != tt.method || qr["amount"] != "135000" ||
				qr["qr_payload"] == "" || !strings.HasPrefix(qr["payment_code"].(string), "CP") {
				t.Fatalf("qr = %v", qr)
			}
			if got := status(t, g, id); got != "pending" {
				t.Fatalf("after the QR the payment is %s, want pending", got)
			}
			if tt.method == "bank_qr" {
				checkBankQR(t, qr)
			} else if qr["beneficiary"] != nil {
				t.Fatalf("a wallet has no beneficiary: %v", qr["beneficiary"])
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string), Feed: tt.feed})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Callbacks) != 1 || !tt.reply(res.Callbacks[0].Status, strings.TrimSpace(res.Callbacks[0].Body)) {
				t.Fatalf("callbacks answered %+v", res.Callbacks)
			}
			if got := status(t, g, id); got != "succeeded" {
				t.Fatalf("after paying the payment is %s", got)
			}
			if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1`, id); n != 1 {
				t.Fatalf("journal entries = %d, want exactly 1", n)
			}
			if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1 AND provider = $2 AND outcome = 'issued'`, id, tt.provider); n != 1 {
				t.Fatalf("issued attempts = %d", n)
			}
		})
	}
}

// checkBankQR verifies the VietQR payload pays the agency's account the
// exact amount with the payment code, as the widget will check too.
func checkBankQR(t *testing.T, qr map[string]any) {
	t.Helper()
	b, ok := qr["beneficiary"].(map[string]any)
	if !ok || b["bank_bin"] == "" || b["account_number"] == "" || b["account_name"] == "" || b["bank_name"] == "" {
		t.Fatalf("beneficiary = %v", qr["beneficiary"])
	}
	want := vietqr.Payload{BIN: b["bank_bin"].(string), Account: b["account_number"].(string), Amount: "135000", Purpose: qr["payment_code"].(string)}
	if err := vietqr.Verify(qr["qr_payload"].(string), want); err != nil {
		t.Fatalf("VietQR payload: %v", err)
	}
	if qr["deeplink"] != nil || qr["pay_url"] != nil {
		t.Fatalf("bank_qr has no deeplink or pay_url: %v", qr)
	}
}

func TestRepeatedQRRequestReusesTheOrder(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"momo", "zalopay", "bank_qr"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			id, token := newPayment(t, g, "HS-REPEAT-"+strings.ToUpper(strings.ReplaceAll(method, "_", "")))
			var wg sync.WaitGroup
			payloads := make(chan string, 8)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := g.Do(t, "POST", "/v1/payments/"+id+"/qr", token, map[string]string{"method": method})
					if res.Status != 200 {
						t.Errorf("qr = %d %s", res.Status, res.Body)
						return
					}
					payloads <- res.JSON(t)["qr_payload"].(string)
				}()
			}
			wg.Wait()
			close(payloads)
			first := <-payloads
			for p := range payloads {
				if p != first {
					t.Fatalf("repeated requests got different orders: %q and %q", first, p)
				}
			}
			if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1`, id); n != 1 {
				t.Fatalf("attempts = %d, want 1", n)
			}
			if method != "bank_qr" {
				if orders := sb.Orders(method); len(orders) != 1 || orders[0].Creates != 1 {
					t.Fatalf("provider orders = %+v, want one created once", orders)
				}
			}
			// The portal may ask too, with its secret key; it gets the same order.
			res := g.Do(t, "POST", "/v1/payments/"+id+"/qr", g.Portal.TestKey, map[string]string{"method": method})
			if res.Status != 200 || res.JSON(t)["qr_payload"] != first {
				t.Fatalf("with the secret key: %d %s", res.Status, res.Body)
			}
		})
	}
}

func TestLostCreateAnswerIsRetriedWithoutASecondOrder(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{
		BreakerFor: map[string]breaker.Settings{"momo": {Timeout: 300 * time.Millisecond, Attempts: 3}},
	})
	// MoMo creates the order but answers after our deadline, once.
	if err := sb.SetFault("momo", sandbox.Fault{Mode: sandbox.ModeSlow, Delay: sandbox.Duration(time.Second), Calls: 1}); err != nil {
		t.Fatal(err)
	}
	id, token := newPayment(t, g, "HS-LOST-ANSWER")
	qr := askQR(t, g, id, token, "momo")
	orders := sb.Orders("momo")
	if qr["provider"] != "momo" || len(orders) != 1 || orders[0].Creates != 2 {
		t.Fatalf("qr %v, MoMo orders %+v: want one order, created by two identical requests", qr, orders)
	}
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1`, id); n != 1 {
		t.Fatalf("attempts = %d: a retry inside one attempt must not add one", n)
	}
}

func TestQRRefusals(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	id, token := newPayment(t, g, "HS-REFUSE-0001")
	other, otherToken := newPayment(t, g, "HS-REFUSE-0002")
	canceled, canceledToken := newPayment(t, g, "HS-REFUSE-0003")
	if res := g.Do(t, "POST", "/v1/payments/"+canceled+"/cancel", g.Portal.TestKey, nil); res.Status != 200 {
		t.Fatalf("cancel = %d %s", res.Status, res.Body)
	}
	if err := sb.SetFault("zalopay", sandbox.Fault{Mode: sandbox.ModeError}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, key, body string
		status              int
		code                string
	}{
		{"no credentials", id, "", `{"method":"momo"}`, 401, "unauthenticated"},
		{"another payment's token", id, otherToken, `{"method":"momo"}`, 404, "payment_not_found"},
		{"unknown method", id, token, `{"method":"cash"}`, 422, "invalid_method"},
		{"missing method", id, token, `{}`, 422, "required"},
		{"method not a string", id, token, `{"method":5}`, 422, "wrong_type"},
		{"method twice", id, token, `{"method":"momo","Method":"bank_qr"}`, 422, "duplicate_field"},
		{"unknown field", id, token, `{"method":"momo","amount":1}`, 422, "invalid_request"},
		{"canceled payment", canceled, canceledToken, `{"method":"bank_qr"}`, 409, "payment_not_open"},
		{"the only provider fails", other, otherToken, `{"method":"zalopay"}`, 503, "providers_unavailable"},
	}
	for _, tt := range tests {
		res := g.Do(t, "POST", "/v1/payments/"+tt.id+"/qr", tt.key, tt.body)
		if res.Status != tt.status || !strings.Contains(string(res.Body), `"code":"`+tt.code+`"`) {
			t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}
	if s := status(t, g, other); s != "requires_payment_method" {
		t.Fatalf("a payment no provider could take is %s", s)
	}
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1 AND outcome = 'failed' AND error LIKE 'zalopay create: HTTP 500%'`, other); n != 1 {
		t.Fatalf("failed zalopay attempts = %d", n)
	}
}
