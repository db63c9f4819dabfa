package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/civicpay/civicpay/wasm/assets"
)

// waitTimeout bounds every wait for the page; the widget normally reacts
// within a second.
const waitTimeout = 20 * time.Second

// env is one test's browser, gateway and portal.
type env struct {
	t       *testing.T
	ctx     context.Context // the browser tab
	api     *stubAPI
	gw      *httptest.Server // widget assets + stub API
	portal  *httptest.Server // the page embedding widgets, on another origin
	wasm    string           // hashed wasm file name
	page    string           // body of the next portal page
	script  string           // JS the next portal page runs after its mounts
	visited chan string      // requests to the portal's /done page

	// holdWasm, if set, delays serving the module until these channels are
	// closed, or for 5 s at most (wasmHeldTooLong then records it).
	holdWasm        []chan struct{}
	wasmHeldTooLong atomic.Bool
}

// widgetSpec is one widget on the portal page.
type widgetSpec struct {
	host, payment, token, lang string
	extra                      string // more mount options, as JS object members
}

func chromiumPath(t *testing.T) string {
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("no chromium at %s: install chromium (make test does this), or set CHROMIUM", p)
	}
	return p
}

func newEnv(t *testing.T) *env {
	t.Helper()
	m, err := assets.Embedded()
	if err != nil {
		t.Fatalf("the widget is not built into this test binary (%v): run `make wasm` first", err)
	}
	e := &env{t: t, api: newStubAPI(), wasm: m.Wasm, visited: make(chan string, 8)}

	gmux := http.NewServeMux()
	gmux.Handle(assets.Prefix, e.hold(assets.Handler()))
	e.api.routes(gmux)
	e.gw = httptest.NewServer(gmux)
	t.Cleanup(e.gw.Close)
	e.portal = httptest.NewServer(http.HandlerFunc(e.servePortal))
	t.Cleanup(e.portal.Close)
	// Different ports make the portal and the gateway different origins,
	// so CORS and the CSP are exercised as in production.
	e.portal.URL = strings.Replace(e.portal.URL, "127.0.0.1", "localhost", 1)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	// The first run starts the browser and must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	e.ctx = ctx
	return e
}

// hold serves the module only once e.holdWasm allows it.
func (e *env) hold(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			deadline := time.After(5 * time.Second)
		wait:
			for _, c := range e.holdWasm {
				select {
				case <-c:
				case <-deadline:
					e.wasmHeldTooLong.Store(true)
					break wait
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

const nonce = "dGVzdG5vbmNl"

// hostileCSS is the portal's stylesheet: it hides every element of the
// page, widget hosts included, and sets odd inherited fonts and colours.
// Only html and body are spared, since nothing can show inside a hidden
// body.
const hostileCSS = `
html, body { font: italic 5px/0.4 "Comic Sans MS", fantasy !important; color: #f0f !important;
  letter-spacing: 4px !important; text-transform: uppercase !important; direction: rtl !important;
  text-align: right !important; word-spacing: 30px !important; }
body * { display: none !important; visibility: hidden !important; opacity: 0 !important; }
div { padding: 80px !important; border: 9px dashed lime !important; background: red !important;
  font-size: 40px !important; width: 10px !important; height: 10px !important; overflow: hidden !important; }
svg, path, rect, button, p, dd { fill: red !important; display: none !important; color: yellow !important; }
`

func (e *env) servePortal(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/portal.css":
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, hostileCSS)
	case "/done":
		e.visited <- r.URL.RequestURI()
		fmt.Fprint(w, "<!doctype html><title>done</title><p>back on the portal</p>")
	case "/":
		gw := e.gw.URL
		// The CSP docs/WIDGET.md documents, and nothing more.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"' "+gw+
			" 'wasm-unsafe-eval'; connect-src "+gw+"; style-src 'self'; img-src 'self' data:")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, e.page)
	default:
		http.NotFound(w, r)
	}
}

// load navigates to a portal page mounting widgets.
func (e *env) load(widgets ...widgetSpec) {
	e.t.Helper()
	gw := e.gw.URL
	var hosts, mounts strings.Builder
	for _, s := range widgets {
		fmt.Fprintf(&hosts, "<div id=%q></div>\n", s.host)
		fmt.Fprintf(&mounts, "window.handles[%q] = CivicPay.mount('#%s', {payment: %q, clientToken: %q, lang: %q%s});\n",
			s.host, s.host, s.payment, s.token, s.lang, s.extra)
	}
	e.page = `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng dịch vụ công</title>
<link rel="preload" href="` + gw + `/widget/` + e.wasm + `" as="fetch" type="application/wasm" crossorigin>
<link rel="stylesheet" href="/portal.css">
<script src="` + gw + `/widget/civicpay.js"></script>
</head><body>
<main><h1>Cổng dịch vụ công</h1><p>Portal content</p><a href="#x">portal link</a></main>
` + hosts.String() + `
<script nonce="` + nonce + `">
window.rejections = [];
addEventListener('unhandledrejection', function (ev) { window.rejections.push(String(ev.reason)); });
window.events = [];
['succeeded', 'failed', 'expired', 'canceled'].forEach(function (s) {
  document.addEventListener('civicpay:' + s, function (ev) {
    window.events.push({type: ev.type, host: ev.target.id, payment: ev.detail.payment, status: ev.detail.status,
      bubbles: ev.bubbles, composed: ev.composed});
  });
});
window.handles = {};
` + mounts.String() + e.script + `
// For TestTimeToQR: when the first QR code appears.
(function () {
  var host = document.querySelector('body > div');
  if (!host || !host.shadowRoot) return;
  new MutationObserver(function (_, obs) {
    if (host.shadowRoot.querySelector('svg.qrc')) { window.qrAt = performance.now(); obs.disconnect(); }
  }).observe(host.shadowRoot, {subtree: true, childList: true});
})();
</script></body></html>`
	if err := chromedp.Do(e.ctx, chromedp.Navigate(e.portal.URL+"/")); err != nil {
		e.t.Fatalf("loading the portal: %v", err)
	}
}

// shadow is a JS expression for an element in the shadow root of host.
func shadow(host, sel string) string {
	return fmt.Sprintf("document.getElementById(%q).shadowRoot.querySelector(%q)", host, sel)
}

// waitFor polls a JS expression until it is truthy.
func (e *env) waitFor(what, expr string) {
	e.t.Helper()
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		e.t.Fatalf("waiting for %s (%s): %v\npage state: %s", what, expr, err, e.dump())
	}
}

// dump describes the widgets' shadow DOM text, for failure messages.
func (e *env) dump() string {
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('body > div')).map(
		d => d.id + ': ' + (d.shadowRoot ? d.shadowRoot.textContent : '(no shadow root)')).join('\n')`))
	if err != nil {
		return err.Error()
	}
	return s
}

func (e *env) eval(expr string) string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		e.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return s
}

// decodeQR screenshots the QR code of a widget and decodes it.
func (e *env) decodeQR(host string) string {
	e.t.Helper()
	e.waitFor(host+" QR", shadow(host, "svg.qrc"))
	// At 2× the modules are whole pixels wide; a few bounded retries cover a
	// QR captured while the widget swaps one method's code for another's.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		shot, err := chromedp.Run(e.ctx, chromedp.ScreenshotScale(chromedp.JSPath(shadow(host, "svg.qrc")), 2))
		if err != nil {
			e.t.Fatalf("screenshot of %s QR: %v", host, err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			e.t.Fatal(err)
		}
		text, err := tryDecode(img)
		if err == nil {
			return text
		}
		lastErr = fmt.Errorf("decoding the QR screenshot (%dx%d): %w", img.Bounds().Dx(), img.Bounds().Dy(), err)
	}
	e.t.Fatal(lastErr)
	return ""
}

// tryDecode reads a QR code from an image, trying harder than the default.
func tryDecode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR screenshot (%dx%d): %v", img.Bounds().Dx(), img.Bounds().Dy(), err)
	}
	return res.GetText()
}

// event waits for a DOM event the portal recorded and returns it as
// "type host payment status bubbles composed".
func (e *env) event(typ, host string) string {
	e.t.Helper()
	find := fmt.Sprintf(`window.events.find(ev => ev.type === %q && ev.host === %q)`, typ, host)
	e.waitFor(typ+" on "+host, find)
	return e.eval(fmt.Sprintf(`(ev => [ev.type, ev.host, ev.payment, ev.status, ev.bubbles, ev.composed].join(' '))(%s)`, find))
}

func TestQRCodeUnderHostileCSS(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_a1", token: "tok_a1"})
	e.api.add(&stubPayment{id: "pay_a2", token: "tok_a2"})
	e.load(widgetSpec{host: "pay1", payment: "pay_a1", token: "tok_a1", lang: "vi"},
		widgetSpec{host: "pay2", payment: "pay_a2", token: "tok_a2", lang: "en"})

	// Both widgets render, and their QR codes carry the exact payloads.
	for _, w := range []struct{ host, id string }{{"pay1", "pay_a1"}, {"pay2", "pay_a2"}} {
		got := e.decodeQR(w.host)
		if want := e.api.expectedPayload(w.id, "bank_qr"); got != want {
			t.Errorf("%s QR encodes\n%q, want\n%q", w.host, got, want)
		}
	}

	// The details are shown, formatted, in each widget's language.
	text1 := e.eval(shadow("pay1", ".cp") + ".innerText")
	for _, want := range []string{"1.250.000 ₫", agencyAccount, agencyName, "VietinBank", "CPA1K9Q2XW", "Đăng ký khai sinh", "Chuyển khoản (VietQR)", "Sao chép"} {
		if !strings.Contains(text1, want) {
			t.Errorf("pay1 text lacks %q:\n%s", want, text1)
		}
	}
	text2 := e.eval(shadow("pay2", ".cp") + ".innerText")
	for _, want := range []string{"1.250.000 ₫", "Birth registration", "Bank transfer (VietQR)", "Account number", "Transfer content", "Copy"} {
		if !strings.Contains(text2, want) {
			t.Errorf("pay2 text lacks %q:\n%s", want, text2)
		}
	}

	// The hostile CSS does not leak in: the widget keeps its own font,
	// colour and layout.
	style := e.eval(`(s => [s.display, s.visibility, s.fontStyle, s.textTransform, s.direction, s.paddingTop].join(' '))(getComputedStyle(document.getElementById('pay1')))`)
	if style != "block visible normal none ltr 0px" {
		t.Errorf("host style = %q, want the widget's own", style)
	}
	if c := e.eval(`getComputedStyle(` + shadow("pay1", ".big") + `).color`); c != "rgb(27, 27, 31)" {
		t.Errorf("amount colour = %s", c)
	}
	// ... and the widget's CSS does not leak out.
	if d := e.eval(`getComputedStyle(document.querySelector('main')).display`); d != "none" {
		t.Errorf("portal main display = %s, want the portal's own none", d)
	}

	e.snapshot("hostile-css")

	// Choosing MoMo shows the MoMo payload.
	e.eval(shadow("pay2", `button[data-v="momo"]`) + `.click(), ''`)
	e.waitFor("momo QR", shadow("pay2", `button[data-v="momo"][aria-pressed="true"]`)+` && `+shadow("pay2", "svg.qrc"))
	if got, want := e.decodeQR("pay2"), e.api.expectedPayload("pay_a2", "momo"); got != want {
		t.Errorf("momo QR encodes %q, want %q", got, want)
	}
}

func TestStatusChangesWithoutReload(t *testing.T) {
	e := newEnv(t)
	ids := []string{"pay_s1", "pay_s2", "pay_s3", "pay_s4"}
	for _, id := range ids {
		e.api.add(&stubPayment{id: id, token: "tok_" + id})
	}
	e.api.payments["pay_s4"].noStream = true // this one must fall back to polling
	var specs []widgetSpec
	for i, id := range ids {
		specs = append(specs, widgetSpec{host: fmt.Sprintf("w%d", i+1), payment: id, token: "tok_" + id, lang: "en"})
	}
	e.load(specs...)
	for _, s := range specs {
		e.waitFor(s.host+" QR", shadow(s.host, "svg.qrc"))
	}
	e.eval(`window.marker = 'same page', ''`)

	cases := []struct{ host, id, status, heading string }{
		{"w1", "pay_s1", "succeeded", "Payment successful"},
		{"w2", "pay_s2", "failed", "Payment failed"},
		{"w3", "pay_s3", "expired", "This payment has expired"},
		{"w4", "pay_s4", "canceled", "This payment was canceled"},
	}
	for _, c := range cases {
		e.api.setStatus(c.id, c.status)
		e.waitFor(c.host+" "+c.status, shadow(c.host, `.end[data-screen="`+c.status+`"]`))
		if got := e.eval(shadow(c.host, "h3") + ".textContent"); got != c.heading {
			t.Errorf("%s heading = %q, want %q", c.host, got, c.heading)
		}
		if got, want := e.event("civicpay:"+c.status, c.host), "civicpay:"+c.status+" "+c.host+" "+c.id+" "+c.status+" true true"; got != want {
			t.Errorf("event = %q, want %q", got, want)
		}
		if st := e.eval(shadow(c.host, `[role="status"]`) + ".textContent"); st != c.heading {
			t.Errorf("%s status region = %q, want %q", c.host, st, c.heading)
		}
		if e.eval(`document.getElementById('`+c.host+`').shadowRoot.querySelector('svg.qrc') ? 'qr' : ''`) != "" {
			t.Errorf("%s still shows a QR code after %s", c.host, c.status)
		}
	}
	e.snapshot("final-states")
	if e.eval(`window.marker`) != "same page" {
		t.Error("the page was reloaded")
	}
	if n := e.eval(`String(window.events.length)`); n != "4" {
		t.Errorf("%s events, want one per widget: %s", n, e.eval(`JSON.stringify(window.events)`))
	}
}

func TestCountdownExpiresLocally(t *testing.T) {
	e := newEnv(t)
	// The gateway has not (yet) marked the payment expired when the
	// countdown runs out: the widget hides the QR on its own, and raises
	// the event only once the gateway confirms.
	e.api.add(&stubPayment{id: "pay_x1", token: "tok", expiresAt: time.Now().Add(6 * time.Second), noExpiry: true})
	e.load(widgetSpec{host: "pay", payment: "pay_x1", token: "tok", lang: "vi"})
	e.waitFor("QR", shadow("pay", "svg.qrc"))
	if cd := e.eval(shadow("pay", "time") + ".textContent"); !strings.HasPrefix(cd, "0:0") {
		t.Errorf("countdown = %q, want 0:0x", cd)
	}
	e.waitFor("expired screen", shadow("pay", `.end[data-screen="expired"]`))
	if e.eval(shadow("pay", "svg.qrc")+` ? 'qr' : ''`) != "" {
		t.Error("QR still shown after the countdown ran out")
	}
	if n := e.eval(`String(window.events.length)`); n != "0" {
		t.Errorf("%s events before the gateway confirmed the expiry", n)
	}
	e.api.setStatus("pay_x1", "expired")
	if got, want := e.event("civicpay:expired", "pay"), "civicpay:expired pay pay_x1 expired true true"; got != want {
		t.Errorf("event = %q, want %q", got, want)
	}
}

func TestCountdownRunsOnTheGatewayClock(t *testing.T) {
	e := newEnv(t)
	// This device's clock is an hour ahead of the gateway's: by the device,
	// the payment expired 50 minutes ago; by the gateway, it has 10 minutes
	// left, which is what the payer must see.
	e.api.clock = -time.Hour
	e.api.add(&stubPayment{id: "pay_c1", token: "tok", expiresAt: time.Now().Add(-time.Hour + 10*time.Minute), noExpiry: true})
	e.load(widgetSpec{host: "pay", payment: "pay_c1", token: "tok", lang: "vi"})
	e.waitFor("QR", shadow("pay", "svg.qrc"))
	if cd := e.eval(shadow("pay", "time") + ".textContent"); !strings.HasPrefix(cd, "9:5") && cd != "10:00" {
		t.Errorf("countdown = %q, want about 10:00 by the gateway's clock", cd)
	}
	if e.eval(shadow("pay", `.end[data-screen="expired"]`)+` ? 'expired' : ''`) != "" {
		t.Error("the widget shows the payment expired by the device's clock")
	}
}

func TestReturnURLAfterSuccess(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_r1", token: "tok", returnURL: e.portal.URL + "/done?payment=pay_r1"})
	e.load(widgetSpec{host: "pay", payment: "pay_r1", token: "tok", lang: "vi", extra: ", returnDelay: 300"})
	e.waitFor("QR", shadow("pay", "svg.qrc"))
	e.api.setStatus("pay_r1", "succeeded")
	e.waitFor("success screen", shadow("pay", `.end[data-screen="succeeded"] a[href$="/done?payment=pay_r1"]`))
	select {
	case got := <-e.visited:
		if got != "/done?payment=pay_r1" {
			t.Errorf("navigated to %s", got)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the widget did not navigate to return_url")
	}
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_t1", token: "tok", tamper: "amount"})
	e.api.add(&stubPayment{id: "pay_t2", token: "tok", tamper: "crc"})
	e.load(widgetSpec{host: "amount", payment: "pay_t1", token: "tok", lang: "en"},
		widgetSpec{host: "crc", payment: "pay_t2", token: "tok", lang: "vi"})
	for _, host := range []string{"amount", "crc"} {
		e.waitFor(host+" refusal", shadow(host, `[role="alert"][data-error="mismatch"]`))
		if e.eval(`document.getElementById('`+host+`').shadowRoot.querySelector('svg.qrc') ? 'qr' : ''`) != "" {
			t.Errorf("%s: a tampered payload was rendered", host)
		}
		visible := e.eval(`(el => el.offsetWidth > 0 && el.offsetHeight > 0 ? 'yes' : 'no')(` + shadow(host, `[data-error="mismatch"]`) + `)`)
		if visible != "yes" {
			t.Errorf("%s: the refusal is not visible", host)
		}
	}
	e.snapshot("tampered")
	if msg := e.eval(shadow("amount", `[data-error="mismatch"]`) + ".textContent"); !strings.Contains(msg, "does not match") {
		t.Errorf("refusal text = %q", msg)
	}
	// A wallet QR of the same payment still works.
	e.eval(shadow("amount", `button[data-v="zalopay"]`) + `.click(), ''`)
	if got, want := e.decodeQR("amount"), e.api.expectedPayload("pay_t1", "zalopay"); got != want {
		t.Errorf("zalopay QR = %q, want %q", got, want)
	}
}

// activeDescription names the element that has keyboard focus, looking
// into shadow roots: "host/key" for widget controls.
const activeDescription = `(() => {
  let a = document.activeElement, host = '';
  while (a && a.shadowRoot && a.shadowRoot.activeElement) { host = a.id; a = a.shadowRoot.activeElement; }
  if (!a || a === document.body) return 'body';
  return host ? host + '/' + (a.dataset.k || a.tagName) : 'page/' + a.tagName;
})()`

// controls lists the focusable controls of the widgets as "host/key".
const controls = `Array.from(document.querySelectorAll('body > div')).flatMap(d =>
  Array.from(d.shadowRoot.querySelectorAll('button, a[href]')).map(c => d.id + '/' + (c.dataset.k || c.tagName))).join(',')`

func TestKeyboardReachesEveryControl(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_k1", token: "tok"})
	e.api.add(&stubPayment{id: "pay_k2", token: "tok", methods: []string{"bank_qr"}})
	e.load(widgetSpec{host: "one", payment: "pay_k1", token: "tok", lang: "vi"},
		widgetSpec{host: "two", payment: "pay_k2", token: "tok", lang: "en"})
	e.waitFor("QRs", shadow("one", "svg.qrc")+" && "+shadow("two", "svg.qrc"))

	want := strings.Split(e.eval(controls), ",")
	if len(want) < 10 {
		t.Fatalf("only %d controls: %v", len(want), want)
	}
	var got []string
	for i := 0; i < len(want)+2; i++ {
		if err := chromedp.Do(e.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.eval(activeDescription))
	}
	for _, c := range want {
		if !slices.Contains(got, c) {
			t.Errorf("Tab never reached %s; focus went %v", c, got)
		}
	}
	// Keyboard activation: Enter on the MoMo button switches the method.
	e.eval(shadow("one", `button[data-v="momo"]`) + `.focus(), ''`)
	if err := chromedp.Do(e.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("momo selected", shadow("one", `button[data-v="momo"][aria-pressed="true"]`)+" && "+shadow("one", "svg.qrc"))
	if a := e.eval(activeDescription); a != "one/m:momo" {
		t.Errorf("focus after re-render = %s, want it kept on one/m:momo", a)
	}
	// ARIA: a labelled region, a polite status region, a labelled QR image
	// and labelled copy buttons.
	for _, sel := range []string{`section[role="region"][aria-label]`, `[role="status"][aria-live="polite"]`,
		`svg[role="img"][aria-label]`, `button[data-a="c"][aria-label]`} {
		if e.eval(`document.getElementById('one').shadowRoot.querySelector('`+sel+`') ? 'ok' : ''`) != "ok" {
			t.Errorf("no %s", sel)
		}
	}
}

func TestPhoneScreen(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_p1", token: "tok"})
	if err := chromedp.Do(e.ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	e.load(widgetSpec{host: "pay", payment: "pay_p1", token: "tok", lang: "vi"})
	if got, want := e.decodeQR("pay"), e.api.expectedPayload("pay_p1", "bank_qr"); got != want {
		t.Errorf("QR on a phone encodes %q, want %q", got, want)
	}
	e.snapshot("phone")
	if w := e.eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("page is %s px wide on a 360 px screen", w)
	}
	if w := e.eval(`String(Math.round(` + shadow("pay", "svg.qrc") + `.getBoundingClientRect().width))`); len(w) < 3 || w < "200" {
		t.Errorf("QR only %s px wide", w)
	}
	// On a phone the wallet methods offer to open the app.
	e.eval(shadow("pay", `button[data-v="momo"]`) + `.click(), ''`)
	e.waitFor("open-app link", shadow("pay", `a[data-k="app"][href^="momo://"]`))
}

// snapshot saves a screenshot of the page to $CIVICPAY_SCREENSHOTS/name.png
// when that variable is set, for looking at the widget by eye.
func (e *env) snapshot(name string) {
	e.t.Helper()
	dir := os.Getenv("CIVICPAY_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+name+".png", b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// TestTimeToQR measures, for the record, how long the page takes from
// navigation start until the QR code is drawn: on a first visit (fresh
// profile, nothing cached) and on later visits (the browser's HTTP cache
// and compiled-code cache warm). Run it with -v to see the figures.
func TestTimeToQR(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_q1", token: "tok"})
	var times []string
	for visit := 1; visit <= 4; visit++ {
		e.load(widgetSpec{host: "pay", payment: "pay_q1", token: "tok", lang: "vi"})
		e.waitFor("QR", shadow("pay", "svg.qrc"))
		ms := e.eval(`String(Math.round(window.qrAt))`)
		times = append(times, ms+" ms")
	}
	t.Logf("time to QR (navigation start to QR in the DOM): first visit %s, then %s", times[0], strings.Join(times[1:], ", "))
}
