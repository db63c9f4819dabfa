package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/gateway/maintenance"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// End-to-end tests: the widget served by a real gateway (fresh seeded
// database, settler, status hub) wired to the in-process sandbox providers,
// mounted on a portal page of another origin under hostile CSS and a strict
// CSP, paid through the sandbox the way a bank app or wallet would.

// e2e is a browser tab plus a real gateway and its sandbox.
type e2e struct {
	*env
	g  *gatewaytest.Gateway
	sb *gatewaytest.Sandbox
}

// newE2E starts the gateway before the browser, so the browser (and its
// open event streams) goes away first when the test ends.
func newE2E(t *testing.T, o gatewaytest.SandboxOptions) *e2e {
	t.Helper()
	g, sb := gatewaytest.StartWithSandbox(t, o)
	e := newEnv(t)
	// newEnv also starts a stub API, which these tests leave unused (its
	// cleanup still closes it): the portal page loads the widget from the
	// real gateway instead. load and servePortal only read gw.URL.
	e.gw = &httptest.Server{URL: g.URL}
	return &e2e{env: e, g: g, sb: sb}
}

// createPayment creates a GPLX-CAPDOI payment (fixed fee, 135,000 đồng)
// with the demo portal's test key; extra adds request members.
func (x *e2e) createPayment(ref string, extra map[string]any) (id, token string) {
	x.t.Helper()
	body := map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref,
		"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}
	maps.Copy(body, extra)
	res := x.g.Do(x.t, "POST", "/v1/payments", x.g.Portal.TestKey, body, "Idempotency-Key", ref)
	if res.Status != http.StatusCreated {
		x.t.Fatalf("create payment = %d %s", res.Status, res.Body)
	}
	p := res.JSON(x.t)
	if p["amount"] != "135000" || p["status"] != "requires_payment_method" {
		x.t.Fatalf("created payment = %s", res.Body)
	}
	return p["id"].(string), p["client_token"].(string)
}

// payment reads a payment back with the portal's secret key.
func (x *e2e) payment(id string) map[string]any {
	x.t.Helper()
	res := x.g.Do(x.t, "GET", "/v1/payments/"+id+"?expand=agency", x.g.Portal.TestKey, nil)
	if res.Status != http.StatusOK {
		x.t.Fatalf("get payment = %d %s", res.Status, res.Body)
	}
	return res.JSON(x.t)
}

// expectedBankPayload builds, independently of the gateway's provider
// code, the VietQR payload a bank transfer of payment id must carry: the
// agency's account, the exact amount and the payment code as content.
func (x *e2e) expectedBankPayload(id string) string {
	x.t.Helper()
	p := x.payment(id)
	agency, _ := p["agency"].(map[string]any)
	bin, _ := agency["bank_bin"].(string)
	account, _ := agency["account_number"].(string)
	amount, _ := p["amount"].(string)
	code, _ := p["payment_code"].(string)
	if bin == "" || account == "" || amount == "" || code == "" {
		x.t.Fatalf("payment lacks what a VietQR payload needs: %v", p)
	}
	s, err := vietqr.Build(vietqr.Payload{BIN: bin, Account: account, Service: vietqr.ServiceAccount, Amount: amount, Purpose: code})
	if err != nil {
		x.t.Fatal(err)
	}
	return s
}

// issuedPayload is the qr_payload the gateway hands out for a method; a
// repeated request gets the order already issued to the widget.
func (x *e2e) issuedPayload(id, method string) string {
	x.t.Helper()
	res := x.g.Do(x.t, "POST", "/v1/payments/"+id+"/qr", x.g.Portal.TestKey, map[string]string{"method": method})
	if res.Status != http.StatusOK {
		x.t.Fatalf("qr %s = %d %s", method, res.Status, res.Body)
	}
	return res.JSON(x.t)["qr_payload"].(string)
}

// control calls the sandbox's control API and decodes its JSON answer.
func (x *e2e) control(method, path string, body any, want int) []byte {
	x.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			x.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, x.sb.URL+path, rd)
	if err != nil {
		x.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		x.t.Fatalf("sandbox %s %s = %d, want %d: %s", method, path, res.StatusCode, want, out)
	}
	return out
}

// pay has the sandbox pay (or decline) what a scanned QR code says, and
// checks the provider's callback reached the gateway and was accepted.
func (x *e2e) pay(payload, feed string, decline bool) sandbox.PayResult {
	x.t.Helper()
	out := x.control("POST", "/control/pay", sandbox.PayRequest{QRPayload: payload, Feed: feed, Decline: decline}, http.StatusOK)
	var res sandbox.PayResult
	if err := json.Unmarshal(out, &res); err != nil {
		x.t.Fatalf("pay answer %s: %v", out, err)
	}
	if len(res.Callbacks) != 1 || res.Callbacks[0].Status/100 != 2 {
		x.t.Fatalf("callbacks answered %+v", res.Callbacks)
	}
	return res
}

// keyboard sends one key to the page.
func (x *e2e) keyboard(key string) {
	x.t.Helper()
	if err := chromedp.Do(x.ctx, chromedp.KeyEvent(key)); err != nil {
		x.t.Fatal(err)
	}
}

// tabTo presses Tab until the control "host/key" has focus.
func (x *e2e) tabTo(control string) {
	x.t.Helper()
	var seen []string
	for range 40 {
		x.keyboard(kb.Tab)
		a := x.eval(activeDescription)
		if a == control {
			return
		}
		seen = append(seen, a)
	}
	x.t.Fatalf("Tab never reached %s; focus went %v", control, seen)
}

// tabWalk presses Tab until every control of the widgets has had focus,
// from wherever focus is (the page start on a fresh page), and returns the
// controls. Focus leaves the page after the last control and comes back
// to the first, so at most two rounds are needed.
func (x *e2e) tabWalk() []string {
	x.t.Helper()
	want := strings.Split(x.eval(controls), ",")
	missing := map[string]bool{}
	for _, c := range want {
		missing[c] = true
	}
	var got []string
	for i := 0; len(missing) > 0 && i < 2*(len(want)+3); i++ {
		x.keyboard(kb.Tab)
		a := x.eval(activeDescription)
		got = append(got, a)
		delete(missing, a)
	}
	if len(missing) > 0 {
		x.t.Errorf("Tab never reached %v of %v; focus went %v", slices.Sorted(maps.Keys(missing)), want, got)
	}
	return want
}

// shown reports whether a selector matches in a widget's shadow root.
func (x *e2e) shown(host, sel string) bool {
	x.t.Helper()
	return x.eval(shadow(host, sel)+` ? 'yes' : ''`) == "yes"
}

// expectEnd checks a widget's final screen, its DOM event, that the page
// was not reloaded, that the status came by SSE (with waitStreaming before
// the change) and that the gateway says the same.
func (x *e2e) expectEnd(host, id, status, heading string) {
	x.t.Helper()
	x.waitFor(host+" "+status+" screen", shadow(host, `.end[data-screen="`+status+`"]`))
	if got := x.eval(shadow(host, "h3") + ".textContent"); got != heading {
		x.t.Errorf("heading = %q, want %q", got, heading)
	}
	if got, want := x.event("civicpay:"+status, host), "civicpay:"+status+" "+host+" "+id+" "+status+" true true"; got != want {
		x.t.Errorf("event = %q, want %q", got, want)
	}
	if x.shown(host, "svg.qrc") {
		x.t.Errorf("a QR code is still shown after %s", status)
	}
	if x.eval(`window.marker`) != "same page" {
		x.t.Error("the page was reloaded")
	}
	if n := x.eval(`String(window.events.length)`); n != "1" {
		x.t.Errorf("%s DOM events, want 1: %s", n, x.eval(`JSON.stringify(window.events)`))
	}
	x.noPolling(id)
	if got := x.payment(id)["status"]; got != status {
		x.t.Errorf("the gateway says the payment is %v, want %s", got, status)
	}
}

// waitStreaming waits until the widget follows the payment's event
// stream: the gateway's status hub listens to PostgreSQL and has one
// subscriber, this test's only widget.
func (x *e2e) waitStreaming() {
	x.t.Helper()
	hub := x.g.App.Hub
	for deadline := time.Now().Add(waitTimeout); !hub.Listening() || hub.Subscribers() != 1; {
		if time.Now().After(deadline) {
			x.t.Fatalf("the widget's event stream is not open: hub listening %v, %d subscribers", hub.Listening(), hub.Subscribers())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noPolling checks, from the browser's resource timing, that the widget
// fetched the payment only once (at mount): with its stream open
// (waitStreaming) and no polling, the final status came through SSE.
func (x *e2e) noPolling(id string) {
	x.t.Helper()
	n := x.eval(`String(performance.getEntriesByType('resource').filter(r => new URL(r.name).pathname === '/v1/payments/` + id + `').length)`)
	if n != "1" {
		x.t.Errorf("the widget fetched the payment %s times, want once: it polled instead of following the stream", n)
	}
}

func TestE2EBankTransferSucceeds(t *testing.T) {
	t.Parallel()
	x := newE2E(t, gatewaytest.SandboxOptions{})
	id, token := x.createPayment("HS-2026-000123", nil)
	want := x.expectedBankPayload(id)

	x.load(widgetSpec{host: "pay", payment: id, token: token, lang: "vi"})
	got := x.decodeQR("pay")
	if got != want {
		t.Fatalf("the rendered QR code encodes\n%q, want\n%q", got, want)
	}
	p := x.payment(id)
	text := x.eval(shadow("pay", ".cp") + ".innerText")
	for _, s := range []string{"135.000 ₫", "HS-2026-000123", p["payment_code"].(string),
		p["agency"].(map[string]any)["account_number"].(string), "Chuyển khoản (VietQR)", "Sao chép"} {
		if !strings.Contains(text, s) {
			t.Errorf("widget text lacks %q:\n%s", s, text)
		}
	}
	// The hostile stylesheet hides every element of the page; the widget
	// host still shows, in the widget's own styles.
	if d := x.eval(`getComputedStyle(document.getElementById('pay')).display + ' ' + getComputedStyle(document.querySelector('main')).display`); d != "block none" {
		t.Errorf("host and portal display = %q, want \"block none\"", d)
	}
	x.eval(`window.marker = 'same page', ''`)
	x.waitStreaming()

	// The payer's bank app scans the code and transfers; Casso reports it.
	if res := x.pay(got, sandbox.FeedCasso, false); res.Status != "paid" || res.OrderID != p["payment_code"] {
		t.Fatalf("sandbox paid %+v", res)
	}
	x.expectEnd("pay", id, "succeeded", "Thanh toán thành công")
	if n := x.g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1`, id); n != 1 {
		t.Errorf("journal entries = %d, want exactly 1", n)
	}
	x.snapshot("e2e-succeeded")
}

// A wallet decline fails that attempt only; the citizen then pays by bank.
func TestE2EWalletDeclinedThenPaidByBank(t *testing.T) {
	t.Parallel()
	x := newE2E(t, gatewaytest.SandboxOptions{})
	id, token := x.createPayment("HS-2026-000124", nil)
	x.load(widgetSpec{host: "pay", payment: id, token: token, lang: "en"})
	x.waitFor("bank QR", shadow("pay", "svg.qrc"))
	x.eval(`window.marker = 'same page', ''`)

	// Keyboard only: Tab to MoMo, Enter.
	x.tabTo("pay/m:momo")
	x.keyboard(kb.Enter)
	x.waitFor("MoMo QR", shadow("pay", `button[data-v="momo"][aria-pressed="true"]`)+" && "+shadow("pay", "svg.qrc"))
	got := x.decodeQR("pay")
	if want := x.issuedPayload(id, "momo"); got != want {
		t.Fatalf("the MoMo QR encodes %q, want the order the gateway issued, %q", got, want)
	}
	if !strings.HasPrefix(got, x.sb.URL+sandbox.MoMoPath+"/pay/") {
		t.Fatalf("the MoMo QR %q is not a sandbox MoMo order", got)
	}

	x.waitStreaming()
	// The payer declines in the wallet; MoMo's IPN reports the failure.
	// A decline fails the attempt, not the payment: the widget says so,
	// takes the QR away and offers the methods again.
	if res := x.pay(got, "", true); res.Status != "failed" || res.Provider != sandbox.MoMo {
		t.Fatalf("sandbox declined %+v", res)
	}
	x.waitFor("attempt failed alert", shadow("pay", `[data-error="attempt"]`))
	if x.shown("pay", "svg.qrc") {
		t.Error("the declined order's QR code is still shown")
	}
	if p := x.payment(id); p["status"] != "requires_payment_method" || p["last_attempt_error"].(map[string]any)["code"] != "1006" {
		t.Errorf("after a decline the gateway says %v, last_attempt_error %v", p["status"], p["last_attempt_error"])
	}
	if n := x.eval(`String(window.events.length)`); n != "0" {
		t.Errorf("%s DOM events after a declined attempt, want none", n)
	}
	x.snapshot("e2e-attempt-failed")

	// The citizen pays by bank transfer instead.
	x.tabTo("pay/m:bank_qr")
	x.keyboard(kb.Enter)
	x.waitFor("bank QR again", shadow("pay", `button[data-v="bank_qr"][aria-pressed="true"]`)+" && "+shadow("pay", "svg.qrc"))
	bank := x.decodeQR("pay")
	if want := x.expectedBankPayload(id); bank != want {
		t.Fatalf("the bank QR after the decline encodes %q, want %q", bank, want)
	}
	if res := x.pay(bank, sandbox.FeedSePay, false); res.Status != "paid" {
		t.Fatalf("sandbox paid %+v", res)
	}
	x.expectEnd("pay", id, "succeeded", "Payment successful")
	if n := x.g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1 AND kind = 'settlement'`, id); n != 1 {
		t.Errorf("settlement entries = %d, want 1", n)
	}
	x.snapshot("e2e-paid-after-decline")
}

func TestE2EExpiresServerSide(t *testing.T) {
	t.Parallel()
	x := newE2E(t, gatewaytest.SandboxOptions{})
	id, token := x.createPayment("HS-2026-000125", map[string]any{
		"expires_at": time.Now().Add(6 * time.Minute).UTC().Format(time.RFC3339),
	})
	x.load(widgetSpec{host: "pay", payment: id, token: token, lang: "vi"})
	if got, want := x.decodeQR("pay"), x.expectedBankPayload(id); got != want {
		t.Fatalf("the rendered QR code encodes\n%q, want\n%q", got, want)
	}
	if cd := x.eval(shadow("pay", "time") + ".textContent"); !strings.HasPrefix(cd, "5:") && !strings.HasPrefix(cd, "6:") {
		t.Errorf("countdown = %q, want about 6 minutes", cd)
	}
	x.eval(`window.marker = 'same page', ''`)
	x.waitStreaming()

	// The expiry sweep runs as if ten minutes had passed.
	n, err := maintenance.ExpireNow(context.Background(), x.g.Pool, x.g.App.Outbox, time.Now().Add(10*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("ExpireNow = %d, %v; want 1 payment expired", n, err)
	}
	x.expectEnd("pay", id, "expired", "Khoản thanh toán đã hết hạn")
	x.snapshot("e2e-expired")
}

func TestE2EKeyboardReachesEveryControl(t *testing.T) {
	t.Parallel()
	// ZaloPay fails until the fault is cleared; its breaker stays closed
	// so the retry goes through.
	x := newE2E(t, gatewaytest.SandboxOptions{BreakerFor: map[string]breaker.Settings{"zalopay": {Failures: 100}}})
	x.control("PUT", "/control/faults/zalopay", sandbox.Fault{Mode: sandbox.ModeError}, http.StatusOK)
	id, token := x.createPayment("HS-2026-000126", nil)
	x.load(widgetSpec{host: "pay", payment: id, token: token, lang: "vi"})
	x.waitFor("bank QR", shadow("pay", "svg.qrc"))

	// Bank transfer: every method button and every copy button.
	res := x.g.Do(t, "GET", "/v1/payments/"+id, token, nil)
	var offered struct{ Methods []string }
	if err := json.Unmarshal(res.Body, &offered); err != nil || len(offered.Methods) < 2 {
		t.Fatalf("methods offered: %s (%v)", res.Body, err)
	}
	walked := x.tabWalk()
	for _, m := range offered.Methods {
		if !slices.Contains(walked, "pay/m:"+m) {
			t.Errorf("no button for method %s among %v", m, walked)
		}
	}
	for _, c := range []string{"pay/c0", "pay/c1", "pay/c2", "pay/c3", "pay/c4"} {
		if !slices.Contains(walked, c) {
			t.Errorf("no copy button %s among %v", c, walked)
		}
	}

	// ZaloPay is failing: the widget offers to retry.
	x.tabTo("pay/m:zalopay")
	x.keyboard(kb.Enter)
	x.waitFor("QR error with retry", shadow("pay", `[role="alert"][data-error="qr"]`)+" && "+shadow("pay", `button[data-a="retry"]`))
	if !slices.Contains(x.tabWalk(), "pay/retry") {
		t.Error("no retry button")
	}

	// ZaloPay recovers; the retry, by keyboard, shows its QR code.
	x.control("DELETE", "/control/faults/zalopay", nil, http.StatusNoContent)
	x.tabTo("pay/retry")
	x.keyboard(kb.Enter)
	x.waitFor("ZaloPay QR", shadow("pay", `button[data-v="zalopay"][aria-pressed="true"]`)+" && "+shadow("pay", "svg.qrc"))
	if got, want := x.decodeQR("pay"), x.issuedPayload(id, "zalopay"); got != want {
		t.Errorf("the ZaloPay QR encodes %q, want %q", got, want)
	}
	// A wallet: method buttons, the pay_url link, the amount's copy button.
	walked = x.tabWalk()
	for _, c := range []string{"pay/m:bank_qr", "pay/payurl", "pay/c4"} {
		if !slices.Contains(walked, c) {
			t.Errorf("no control %s among %v", c, walked)
		}
	}
}
