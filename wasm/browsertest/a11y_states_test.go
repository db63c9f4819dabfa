package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// both is a JS condition true when sel matches in the vi and en widgets.
func both(sel string) string { return shadow("vi", sel) + " && " + shadow("en", sel) }

// pair mounts the same kind of payment in Vietnamese (host vi) and English
// (host en), so that every state is checked in both languages.
func (e *env) pair(tmpl stubPayment, extra string) {
	e.t.Helper()
	v, n := tmpl, tmpl
	v.id, v.token, n.id, n.token = tmpl.id+"v", "tok", tmpl.id+"e", "tok"
	e.api.add(&v)
	e.api.add(&n)
	e.load(widgetSpec{host: "vi", payment: v.id, token: "tok", lang: "vi", extra: extra},
		widgetSpec{host: "en", payment: n.id, token: "tok", lang: "en", extra: extra})
}

// focusIn describes the focused element inside host's shadow root.
func (e *env) focusIn(host string) string {
	return e.eval(`(a => a ? a.tagName + (a.dataset.error ? '[' + a.dataset.error + ']' : '') + (a.dataset.k ? '/' + a.dataset.k : '') : 'none')(document.getElementById('` +
		host + `').shadowRoot.activeElement)`)
}

// pressEnterOn focuses a widget control and presses Enter, as a keyboard
// user would (a real key press, so the page has user activation).
func (e *env) pressEnterOn(host, sel string) {
	e.t.Helper()
	e.eval(shadow(host, sel) + `.focus(), ''`)
	if err := chromedp.Do(e.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		e.t.Fatal(err)
	}
}

// TestAccessibilityPaymentFlow walks one payment per language through
// loading, method choice and each method's QR, copying, a declined attempt
// with the methods offered again, and success, checking each state with
// axe-core, at 320 px and 200 % zoom, and keeping screenshots.
func TestAccessibilityPaymentFlow(t *testing.T) {
	axeSource(t)
	e := newEnv(t)
	hold := make(chan struct{})
	e.pair(stubPayment{id: "pay_f", holdGets: hold}, "")
	e.waitFor("loading skeleton", both(`.bd[aria-busy="true"]`))
	e.checkState("loading", false, "vi", "en")
	close(hold)

	e.waitFor("bank QR", both("svg.qrc"))
	// The QR's text alternative: label, then how to pay without scanning,
	// made of the details shown on screen.
	for host, want := range map[string][]string{
		"vi": {"Mã QR thanh toán Chuyển khoản (VietQR), số tiền 1.250.000 ₫", "Không quét được mã?", agencyName, "VietinBank", "Số tài khoản " + agencyAccount, "Nội dung chuyển khoản CPFVK9Q2XW", "Số tiền 1.250.000 ₫"},
		"en": {"Payment QR code, Bank transfer (VietQR), amount 1.250.000 ₫", "Cannot scan?", "Account number " + agencyAccount, "Transfer content CPFEK9Q2XW", "Amount 1.250.000 ₫"},
	} {
		alt := e.eval(`(svg => svg.getAttribute('aria-label') + ' | ' + svg.getAttribute('aria-describedby').split(' ').map(
  id => svg.getRootNode().getElementById(id).textContent).join(' '))(` + shadow(host, "svg.qrc") + `)`)
		for _, w := range want {
			if !strings.Contains(alt, w) {
				t.Errorf("%s QR text alternative lacks %q: %s", host, w, alt)
			}
		}
	}
	e.checkState("methods-bank-qr", false, "vi", "en")

	for _, m := range []string{"momo", "zalopay", "vnpay"} {
		for _, h := range []string{"vi", "en"} {
			e.eval(shadow(h, `button[data-v="`+m+`"]`) + `.click(), ''`)
		}
		e.waitFor(m+" QR", both(`button[data-v="`+m+`"][aria-pressed="true"]`)+" && "+both("svg.qrc"))
		e.checkState("qr-"+m, false, "vi", "en")
	}

	// Copying, from the keyboard: the button and the live region say what
	// was copied.
	for _, h := range []string{"vi", "en"} {
		e.eval(shadow(h, `button[data-v="bank_qr"]`) + `.click(), ''`)
	}
	e.waitFor("bank QR again", both(`button[data-v="bank_qr"][aria-pressed="true"]`)+" && "+both("svg.qrc"))
	for h, want := range map[string][2]string{"vi": {"Đã sao chép Số tài khoản", "✓ Đã sao chép"}, "en": {"Account number copied", "✓ Copied"}} {
		e.pressEnterOn(h, `button[data-k="c2"]`)
		e.waitFor(h+" copy announced", shadow(h, ".sr")+`.textContent !== ''`)
		if got := e.eval(shadow(h, ".sr") + ".textContent"); got != want[0] {
			t.Errorf("%s announced %q after copying, want %q", h, got, want[0])
		}
		got := e.eval(`(b => b.getAttribute('aria-label') + '|' + b.textContent)(` + shadow(h, `button[data-k="c2"]`) + `)`)
		if got != want[0]+"|"+want[1] {
			t.Errorf("%s copy button after copying = %q, want %q", h, got, want[0]+"|"+want[1])
		}
	}
	e.checkState("copied", false, "vi", "en")

	// A declined attempt: pending, then back to requires_payment_method.
	// Focus was on a copy button in the vi widget: it goes to the message.
	e.eval(shadow("vi", `button[data-k="c2"]`) + `.focus(), ''`)
	e.api.setStatus("pay_fv", "pending")
	e.api.setStatus("pay_fe", "pending")
	e.waitFor("pending", shadow("vi", ".st")+`.textContent === 'Đang xử lý thanh toán…' && `+shadow("en", ".st")+`.textContent === 'Processing payment…'`)
	_, qrsBefore := e.api.requests("pay_fv")
	e.api.setStatus("pay_fv", "requires_payment_method")
	e.waitFor("vi attempt failed", shadow("vi", `[role="alert"][data-error="attempt"]`))
	if f := e.focusIn("vi"); f != "DIV[attempt]" {
		t.Errorf("vi focus after the declined attempt = %s, want the message", f)
	}
	e.api.setStatus("pay_fe", "requires_payment_method")
	e.waitFor("en attempt failed", shadow("en", `[role="alert"][data-error="attempt"]`))
	if f := e.focusIn("vi"); f != "DIV[attempt]" {
		t.Errorf("the en widget took focus from the vi widget (vi focus now %s)", f)
	}
	for h, want := range map[string]string{"vi": "Lần thanh toán chưa thành công. Vui lòng chọn phương thức để thử lại.",
		"en": "The payment attempt did not go through. Choose a method to try again."} {
		if got := e.eval(shadow(h, `[data-error="attempt"]`) + ".textContent"); got != want {
			t.Errorf("%s message = %q, want %q", h, got, want)
		}
		state := e.eval(`(r => [r.querySelectorAll('button[data-a="m"]').length, r.querySelectorAll('[aria-pressed="true"]').length,
  r.querySelectorAll('svg.qrc').length].join(' '))(document.getElementById('` + h + `').shadowRoot)`)
		if state != "4 0 0" {
			t.Errorf("%s after the declined attempt: %q methods/chosen/QR codes, want 4 offered, none chosen, no QR", h, state)
		}
	}
	e.checkState("attempt-failed", false, "vi", "en")

	// Choosing a method again asks the gateway for a new QR code.
	e.pressEnterOn("vi", `button[data-v="bank_qr"]`)
	e.waitFor("new bank QR", shadow("vi", "svg.qrc"))
	if _, qrs := e.api.requests("pay_fv"); qrs <= qrsBefore {
		t.Errorf("no new POST /qr after choosing a method again (%d, before %d)", qrs, qrsBefore)
	}
	if e.eval(shadow("vi", `[data-error="attempt"]`)+` ? 'shown' : ''`) != "" {
		t.Error("the declined-attempt message stays after a method was chosen")
	}

	// Success: focus (on the method button) moves to the result heading.
	e.api.setStatus("pay_fv", "succeeded")
	e.api.setStatus("pay_fe", "succeeded")
	e.waitFor("success", both(`.end[data-screen="succeeded"]`))
	if f := e.focusIn("vi"); f != "H3" {
		t.Errorf("vi focus after success = %s, want the heading", f)
	}
	e.checkState("succeeded", false, "vi", "en")
}

// TestAccessibilityOtherStates checks the final screens, the refused QR
// payload, a wallet's "open app" link on a touch screen and the countdown's
// last minute.
func TestAccessibilityOtherStates(t *testing.T) {
	axeSource(t)
	e := newEnv(t)
	// Before the module runs, the loader's message.
	wasm := make(chan struct{})
	e.holdWasm = []chan struct{}{wasm}
	e.pair(stubPayment{id: "pay_ld"}, "")
	e.waitFor("loader message", both(`p[role="status"]`))
	e.checkState("loader", false, "vi", "en")
	if e.wasmHeldTooLong.Load() {
		t.Log("the module was served before the loader state was fully checked; its screenshots may show the widget")
	}
	close(wasm) // and stays closed: later pages get the module at once

	// The payment cannot be loaded (503: an alert with a retry button).
	e.pair(stubPayment{id: "pay_le", failGets: 1}, "")
	e.waitFor("load error", both(`[role="alert"][data-error="load"]`)+" && "+both(`button[data-a="retry"]`))
	e.checkState("load-error", false, "vi", "en")

	// The QR code is being made.
	qr := make(chan struct{})
	e.pair(stubPayment{id: "pay_ql", holdQRs: qr}, "")
	e.waitFor("QR placeholder", both(`.ph[aria-busy="true"]`))
	e.checkState("qr-loading", false, "vi", "en")
	close(qr)

	for _, s := range []string{"failed", "expired", "canceled"} {
		e.pair(stubPayment{id: "pay_" + s[:2], status: s}, "")
		e.waitFor(s, both(`.end[data-screen="`+s+`"] h3`))
		e.checkState(s, false, "vi", "en")
	}

	e.pair(stubPayment{id: "pay_tm", tamper: "amount"}, "")
	e.waitFor("refusal", both(`[role="alert"][data-error="mismatch"]`))
	e.checkState("qr-refused", false, "vi", "en")

	e.setViewport(desktop, true)
	e.pair(stubPayment{id: "pay_to"}, "")
	e.waitFor("bank QR", both("svg.qrc"))
	for _, h := range []string{"vi", "en"} {
		e.eval(shadow(h, `button[data-v="momo"]`) + `.click(), ''`)
	}
	e.waitFor("open-app links", both(`a[data-k="app"][href^="momo://"]`))
	e.checkState("open-app-touch", true, "vi", "en")

	e.setViewport(desktop, false)
	e.pair(stubPayment{id: "pay_cd", expiresAt: time.Now().Add(64 * time.Second), noExpiry: true}, "")
	e.waitFor("QR", both("svg.qrc"))
	// At one minute left the polite announcer speaks.
	e.waitFor("last-minute announcement", shadow("vi", `.sr[aria-live="polite"]`)+`.textContent.includes('1 phút') && `+
		shadow("en", `.sr[aria-live="polite"]`)+`.textContent.includes('1 minute')`)
	e.checkState("countdown-last-minute", false, "vi", "en")
}

// TestForcedColorsAndReducedMotion emulates Windows high contrast and
// reduced motion: the QR code stays black on white with its quiet zone and
// still decodes, and nothing is animated.
func TestForcedColorsAndReducedMotion(t *testing.T) {
	axeSource(t)
	e := newEnv(t)
	e.pair(stubPayment{id: "pay_hc"}, "")
	e.waitFor("QR", both("svg.qrc"))
	if d := e.eval(`getComputedStyle(` + shadow("vi", "button") + `).transitionDuration`); d != "0.15s" {
		t.Errorf("transition without a motion preference = %s, want 0.15s (else the next check proves nothing)", d)
	}
	e.setMedia(&emulation.MediaFeature{Name: "forced-colors", Value: "active"},
		&emulation.MediaFeature{Name: "prefers-reduced-motion", Value: "reduce"})
	if m := e.eval(`String(matchMedia('(forced-colors: active)').matches && matchMedia('(prefers-reduced-motion: reduce)').matches)`); m != "true" {
		t.Fatalf("media emulation not in effect: %s", m)
	}
	if d := e.eval(`getComputedStyle(` + shadow("vi", "button") + `).transitionDuration`); d != "0s" {
		t.Errorf("transition with reduced motion = %s, want none", d)
	}
	// The forced palette is in effect elsewhere in the widget...
	if bg := e.eval(`getComputedStyle(` + shadow("vi", ".st") + `).backgroundColor`); bg == "rgb(238, 243, 251)" {
		t.Errorf("status background kept its colour in forced colors: %s", bg)
	}
	// ...but not on the QR code: white quiet zone and background, black
	// modules.
	got := e.eval(`(svg => { const r = svg.querySelector('rect'), p = svg.querySelector('path'), vb = svg.viewBox.baseVal;
  return [getComputedStyle(svg).forcedColorAdjust, getComputedStyle(svg).backgroundColor, getComputedStyle(r).fill, getComputedStyle(p).fill,
    r.getAttribute('width') == vb.width && r.getAttribute('height') == vb.height].join(' ') })(` + shadow("vi", "svg.qrc") + `)`)
	if got != "none rgb(255, 255, 255) rgb(255, 255, 255) rgb(0, 0, 0) true" {
		t.Errorf("QR in forced colors: adjust, background, quiet zone fill, module fill, rect covers it = %q", got)
	}
	if p, want := e.decodeQR("vi"), e.api.expectedPayload("pay_hcv", "bank_qr"); p != want {
		t.Errorf("QR in forced colors decodes to %q, want %q", p, want)
	}
	// On a 320 px screen the code shrinks to the card and still reads.
	e.setViewport(narrow, false)
	if w := e.eval(`String(Math.round(` + shadow("en", "svg.qrc") + `.getBoundingClientRect().width))`); w >= "288" || len(w) != 3 {
		t.Errorf("QR is %s px wide on a 320 px screen, want it shrunk to the card", w)
	}
	if p, want := e.decodeQR("en"), e.api.expectedPayload("pay_hce", "bank_qr"); p != want {
		t.Errorf("QR at 320 px in forced colors decodes to %q, want %q", p, want)
	}
	e.checkState("forced-colors", false, "vi", "en")
}

// TestFocusAndDeclineWithoutStream: the countdown running out moves focus
// from a copy button to the heading of the expired screen, and a declined
// attempt is also noticed by polling (no event stream), without taking
// focus from another widget.
func TestFocusAndDeclineWithoutStream(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_lx", token: "tok", expiresAt: time.Now().Add(6 * time.Second), noExpiry: true})
	e.api.add(&stubPayment{id: "pay_np", token: "tok", noStream: true})
	e.load(widgetSpec{host: "vi", payment: "pay_lx", token: "tok", lang: "vi"},
		widgetSpec{host: "en", payment: "pay_np", token: "tok", lang: "en"})
	e.waitFor("QRs", both("svg.qrc"))
	e.eval(shadow("vi", `button[data-k="c2"]`) + `.focus(), ''`)
	e.waitFor("local expiry", shadow("vi", `.end[data-screen="expired"]`))
	if f := e.focusIn("vi"); f != "H3" {
		t.Errorf("focus after the countdown ran out = %s, want the heading", f)
	}

	e.api.setStatus("pay_np", "pending")
	e.waitFor("pending (polled)", shadow("en", ".st")+`.textContent === 'Processing payment…'`)
	e.api.setStatus("pay_np", "requires_payment_method")
	e.waitFor("declined attempt (polled)", shadow("en", `[role="alert"][data-error="attempt"]`))
	if f := e.focusIn("vi"); f != "H3" {
		t.Errorf("the en widget took focus from the vi widget (vi focus now %s)", f)
	}
	if n := e.eval(`String(window.events.length)`); n != "0" {
		t.Errorf("%s DOM events, want none (nothing final was confirmed)", n)
	}
}
