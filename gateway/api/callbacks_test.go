package api_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// walletFees make MoMo the cheapest wallet, so any_wallet tries it first
// and a MoMo outage has to be routed around.
var walletFees = map[string]banks.Fee{
	"momo":    {Percent: decimal.RequireFromString("1.0"), Fixed: decimal.Zero},
	"zalopay": {Percent: decimal.RequireFromString("1.2"), Fixed: decimal.Zero},
	"vnpay":   {Percent: decimal.RequireFromString("1.1"), Fixed: decimal.NewFromInt(1100)},
}

func noDuplicateOrders(t *testing.T, g *gatewaytest.Gateway) {
	t.Helper()
	if n := g.Count(t, `SELECT count(*) FROM (SELECT order_id FROM payment_attempts GROUP BY 1 HAVING count(*) > 1) d`); n != 0 {
		t.Fatalf("%d provider order ids have more than one attempt row", n)
	}
}

func provider(t *testing.T, g *gatewaytest.Gateway, name string) map[string]any {
	t.Helper()
	res := g.Do(t, "GET", "/v1/providers", "", nil)
	if res.Status != 200 {
		t.Fatalf("GET /v1/providers = %d %s", res.Status, res.Body)
	}
	for _, p := range res.JSON(t)["data"].([]any) {
		if m := p.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("provider %s not listed", name)
	return nil
}

func breakerState(t *testing.T, g *gatewaytest.Gateway, name string) string {
	t.Helper()
	return provider(t, g, name)["breaker"].(map[string]any)["state"].(string)
}

func TestFailoverWhileMoMoIsDownThenBreakerRecovers(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{
		Fees:       walletFees,
		BreakerFor: map[string]breaker.Settings{"momo": {Failures: 2, Open: 8 * time.Second, Probes: 2}},
	})
	if err := sb.SetFault("momo", sandbox.Fault{Mode: sandbox.ModeDown}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 4 {
		id, token := newPayment(t, g, "HS-FAILOVER-"+string(rune('A'+i)))
		qr := askQR(t, g, id, token, "any_wallet")
		if qr["provider"] != "zalopay" || qr["method"] != "zalopay" {
			t.Fatalf("payment %d went to %v, want zalopay while MoMo is down", i, qr["provider"])
		}
		if _, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if s := status(t, g, id); s != "succeeded" {
			t.Fatalf("payment %s is %s", id, s)
		}
	}
	noDuplicateOrders(t, g)
	// Two failed creates opened MoMo's breaker; later payments skipped it.
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE provider = 'momo' AND outcome = 'failed'`); n != 2 {
		t.Fatalf("failed MoMo attempts = %d, want 2 (then the breaker opened)", n)
	}
	if got := breakerState(t, g, "momo"); got != "open" {
		t.Fatalf("MoMo breaker = %s, want open", got)
	}
	m := provider(t, g, "momo")
	if m["health"] != "down" || m["counts"].(map[string]any)["consecutive_failures"].(float64) != 2 {
		t.Fatalf("MoMo = %v", m)
	}
	if len(sb.Orders("momo")) != 0 {
		t.Fatal("a MoMo order exists although MoMo was down")
	}

	// MoMo recovers: after the open interval, probes close the breaker
	// without any citizen's payment being the test.
	sb.Reset()
	waitFor(t, "MoMo's breaker to close", func() bool { return breakerState(t, g, "momo") == "closed" })
	id, token := newPayment(t, g, "HS-FAILOVER-AFTER")
	if qr := askQR(t, g, id, token, "any_wallet"); qr["provider"] != "momo" {
		t.Fatalf("after recovery any_wallet went to %v, want momo (cheapest)", qr["provider"])
	}
	noDuplicateOrders(t, g)
}

func TestHangingProviderDoesNotSlowOtherPayments(t *testing.T) {
	t.Parallel()
	const hang = 3 * time.Second
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{
		Fees:       walletFees,
		BreakerFor: map[string]breaker.Settings{"momo": {Timeout: hang, Attempts: 1, MaxConcurrent: 2, Failures: 100}},
	})
	if err := sb.SetFault("momo", sandbox.Fault{Mode: sandbox.ModeHang}); err != nil {
		t.Fatal(err)
	}
	// Two requests take both MoMo slots and hang until MoMo's deadline.
	var wg sync.WaitGroup
	hung := make(chan string, 2)
	for i := range 2 {
		id, token := newPayment(t, g, "HS-HANG-"+string(rune('A'+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := g.Do(t, "POST", "/v1/payments/"+id+"/qr", token, map[string]string{"method": "any_wallet"})
			hung <- string(res.Body)
		}()
	}
	waitFor(t, "MoMo's slots to fill", func() bool {
		return provider(t, g, "momo")["in_flight"].(float64) == 2
	})
	start := time.Now()
	tests := []struct{ method, want string }{
		{"bank_qr", "vietqr"},
		{"any_wallet", "zalopay"}, // MoMo's slots are full: fail fast, fall over
		{"vnpay", "vnpay"},
	}
	for _, tt := range tests {
		id, token := newPayment(t, g, "HS-BUSY-"+strings.ToUpper(tt.want))
		if qr := askQR(t, g, id, token, tt.method); qr["provider"] != tt.want {
			t.Fatalf("%s went to %v", tt.method, qr["provider"])
		}
	}
	if elapsed := time.Since(start); elapsed >= hang {
		t.Fatalf("other payments took %s while MoMo hung for %s", elapsed, hang)
	}
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE provider = 'momo' AND outcome = 'breaker_open'`); n != 1 {
		t.Fatalf("fast-failed MoMo attempts = %d, want 1", n)
	}
	wg.Wait()
	for range 2 {
		if body := <-hung; !strings.Contains(body, `"provider":"zalopay"`) {
			t.Fatalf("a request that waited on MoMo got %s, want a fallback to zalopay", body)
		}
	}
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE provider = 'momo' AND outcome = 'timeout'`); n != 2 {
		t.Fatalf("timed-out MoMo attempts = %d", n)
	}
	noDuplicateOrders(t, g)
}

// rejection is how each provider says "bad signature".
var rejection = map[string]struct {
	status int
	body   string
}{
	"vietqr":  {401, `{"success":false}`},
	"momo":    {401, ""},
	"zalopay": {200, `{"return_code":-1,"return_message":"mac not equal"}`},
	"vnpay":   {200, `{"RspCode":"97","Message":"Invalid signature"}`},
}

var methodOf = map[string]string{"vietqr": "bank_qr", "momo": "momo", "zalopay": "zalopay", "vnpay": "vnpay"}

func TestForgedCallbacksChangeNothing(t *testing.T) {
	t.Parallel()
	for _, name := range sandbox.Providers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			id, token := newPayment(t, g, "HS-FORGED-"+strings.ToUpper(name))
			qr := askQR(t, g, id, token, methodOf[name])
			if err := sb.SetFault(name, sandbox.Fault{BadSignature: true}); err != nil {
				t.Fatal(err)
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			want := rejection[name]
			if len(res.Callbacks) != 1 || res.Callbacks[0].Status != want.status || strings.TrimSpace(res.Callbacks[0].Body) != want.body {
				t.Fatalf("forged callback answered %+v, want %d %s", res.Callbacks, want.status, want.body)
			}
			if s := status(t, g, id); s != "pending" {
				t.Fatalf("payment is %s after a forged callback", s)
			}
			for _, table := range []string{"provider_callbacks", "journal_entries"} {
				if n := g.Count(t, `SELECT count(*) FROM `+table); n != 0 {
					t.Fatalf("%s has %d rows after a forged callback", table, n)
				}
			}
		})
	}
}

func TestDuplicateCallbacksGetTheSameReply(t *testing.T) {
	t.Parallel()
	for _, name := range sandbox.Providers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			id, token := newPayment(t, g, "HS-DUP-"+strings.ToUpper(name))
			qr := askQR(t, g, id, token, methodOf[name])
			if err := sb.SetFault(name, sandbox.Fault{Duplicates: 2}); err != nil {
				t.Fatal(err)
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Callbacks) != 3 {
				t.Fatalf("callbacks = %+v", res.Callbacks)
			}
			for _, c := range res.Callbacks[1:] {
				if c != res.Callbacks[0] || c.Status >= 300 && c.Status != 0 {
					t.Fatalf("replies differ or failed: %+v", res.Callbacks)
				}
			}
			if s := status(t, g, id); s != "succeeded" {
				t.Fatalf("payment is %s", s)
			}
			if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1`, id); n != 1 {
				t.Fatalf("journal entries = %d after 3 deliveries", n)
			}
			if n := g.Count(t, `SELECT count(*) FROM provider_callbacks`); n != 1 {
				t.Fatalf("recorded callbacks = %d", n)
			}
		})
	}
}

func TestMisbehavingCallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider string
		fault          sandbox.Fault
		status         string // the payment afterwards
		replies        []string
		reason         string // exception recorded, if any
	}{
		{"wrong amount is held for review", "vnpay", sandbox.Fault{WrongAmount: true}, "pending",
			[]string{`{"RspCode":"04","Message":"Invalid amount"}`}, "amount_mismatch"},
		{"wrong amount by bank transfer", "vietqr", sandbox.Fault{WrongAmount: true}, "pending",
			[]string{`{"success":true}`}, "amount_mismatch"},
		{"a stale failure after success", "vnpay", sandbox.Fault{OutOfOrder: true}, "succeeded",
			[]string{`{"RspCode":"00","Message":"Confirm Success"}`, `{"RspCode":"02","Message":"Order already confirmed"}`}, ""},
		{"a stale MoMo failure after success", "momo", sandbox.Fault{OutOfOrder: true}, "succeeded", []string{"", ""}, ""},
		{"an outgoing line in the feed", "vietqr", sandbox.Fault{OutOfOrder: true}, "succeeded",
			[]string{`{"success":true}`, `{"success":true}`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			id, token := newPayment(t, g, "HS-MIS-"+strings.ToUpper(strings.ReplaceAll(tt.name, " ", "-"))[:20])
			qr := askQR(t, g, id, token, methodOf[tt.provider])
			if err := sb.SetFault(tt.provider, tt.fault); err != nil {
				t.Fatal(err)
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Callbacks) != len(tt.replies) {
				t.Fatalf("callbacks = %+v", res.Callbacks)
			}
			for i, want := range tt.replies {
				if got := strings.TrimSpace(res.Callbacks[i].Body); got != want || res.Callbacks[i].Status >= 300 {
					t.Fatalf("reply %d = %d %q, want %q", i, res.Callbacks[i].Status, got, want)
				}
			}
			if s := status(t, g, id); s != tt.status {
				t.Fatalf("payment is %s, want %s", s, tt.status)
			}
			if tt.reason != "" && g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE exception_reason = $1`, tt.reason) != 1 {
				t.Fatalf("no %s exception recorded", tt.reason)
			}
			if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1 AND kind = 'settlement'`, id); n > 1 {
				t.Fatalf("settlement entries = %d", n)
			}
		})
	}
}

func TestLateCallbackStillSettles(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	id, token := newPayment(t, g, "HS-LATE-0001")
	qr := askQR(t, g, id, token, "zalopay")
	if err := sb.SetFault("zalopay", sandbox.Fault{Late: sandbox.Duration(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	res, err := sb.Pay(sandbox.PayRequest{QRPayload: qr["qr_payload"].(string)})
	if err != nil || len(res.Callbacks) != 1 || !res.Callbacks[0].Late {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if s := status(t, g, id); s != "pending" {
		t.Fatalf("payment is %s before the late callback", s)
	}
	waitFor(t, "the late callback", func() bool { return status(t, g, id) == "succeeded" })
}

func TestCallbackRoutes(t *testing.T) {
	t.Parallel()
	g, _ := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/v1/callbacks/nobank", "{}", 404, "provider_not_found"},
		{"POST", "/v1/callbacks/casso", "{}", 401, `{"success":false}`}, // no X-Casso-Signature
		{"POST", "/v1/callbacks/sepay", "{}", 401, `{"success":false}`},
		{"POST", "/v1/callbacks/momo", "not json", 400, ""},
		{"POST", "/v1/callbacks/zalopay", `{"data":"{}","mac":"00","type":1}`, 200, `"return_code":-1`},
		{"GET", "/v1/callbacks/vnpay?vnp_TxnRef=x", "", 200, `"RspCode":"97"`},
	}
	for _, tt := range tests {
		res := g.Do(t, tt.method, tt.path, "", tt.body)
		if res.Status != tt.status || !strings.Contains(string(res.Body), tt.want) {
			t.Errorf("%s %s = %d %s", tt.method, tt.path, res.Status, res.Body)
		}
	}
	if n := g.Count(t, `SELECT count(*) FROM provider_callbacks`); n != 0 {
		t.Fatalf("rejected callbacks recorded %d rows", n)
	}
}
