package browsertest

import (
	"strings"
	"testing"
	"time"
)

// The loader starts GET /v1/payments/{id} and POST /qr at mount(), and the
// widget takes them over: here the module is not even served until both
// requests reached the gateway, and each widget still makes exactly one of
// each.
func TestAPIPrefetchedDuringCompile(t *testing.T) {
	e := newEnv(t)
	a := &stubPayment{id: "pay_f1", token: "tok", qrPosted: make(chan struct{})}
	b := &stubPayment{id: "pay_f2", token: "tok", methods: []string{"zalopay", "momo"}, qrPosted: make(chan struct{})}
	e.api.add(a)
	e.api.add(b)
	e.holdWasm = []chan struct{}{a.qrPosted, b.qrPosted}
	e.load(widgetSpec{host: "one", payment: "pay_f1", token: "tok", lang: "vi"},
		widgetSpec{host: "two", payment: "pay_f2", token: "tok", lang: "en"})

	if got, want := e.decodeQR("one"), e.api.expectedPayload("pay_f1", "bank_qr"); got != want {
		t.Errorf("one: QR encodes %q, want %q", got, want)
	}
	// Without bank_qr the first offered method is prefetched.
	if got, want := e.decodeQR("two"), e.api.expectedPayload("pay_f2", "zalopay"); got != want {
		t.Errorf("two: QR encodes %q, want %q", got, want)
	}
	if e.wasmHeldTooLong.Load() {
		t.Error("the API calls did not start before the module was served")
	}
	for _, id := range []string{"pay_f1", "pay_f2"} {
		if gets, qrs := e.api.requests(id); gets != 1 || qrs != 1 {
			t.Errorf("%s: %d GET and %d POST /qr, want one of each", id, gets, qrs)
		}
	}
	// Later calls are the widget's own: switching method posts again.
	e.eval(shadow("two", `button[data-v="momo"]`) + `.click(), ''`)
	e.waitFor("momo QR", shadow("two", `button[data-v="momo"][aria-pressed="true"]`)+" && "+shadow("two", "svg.qrc"))
	if _, qrs := e.api.requests("pay_f2"); qrs != 2 {
		t.Errorf("%d POST /qr after switching method, want 2", qrs)
	}
	if r := e.eval(`window.rejections.join('; ')`); r != "" {
		t.Errorf("unhandled rejections: %s", r)
	}
}

// A prefetched error answer shows the same error as one the widget fetched
// itself: the gateway's detail, a retry button only for errors worth
// retrying, and a retry that fetches anew.
func TestPrefetchedErrors(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_e1", token: "tok", failGets: 1})
	e.load(widgetSpec{host: "missing", payment: "pay_nope", token: "tok", lang: "en"},
		widgetSpec{host: "busy", payment: "pay_e1", token: "tok", lang: "en"},
		widgetSpec{host: "offline", payment: "pay_e1", token: "tok", lang: "en", extra: ", gateway: 'http://127.0.0.1:9/'"})

	for _, c := range []struct {
		host, text string
		retry      bool
	}{
		{"missing", "Could not load the payment.No such payment.", false},
		{"busy", "Could not load the payment.Try again shortly.", true},
		{"offline", "Could not load the payment.Network error.", true}, // status 0: the widget's own words
	} {
		e.waitFor(c.host+" error", shadow(c.host, `[role="alert"][data-error="load"]`))
		if got := e.eval(shadow(c.host, `[data-error="load"]`) + ".textContent"); !strings.HasPrefix(got, c.text) {
			t.Errorf("%s: error %q, want it to start with %q", c.host, got, c.text)
		}
		if got := e.eval(shadow(c.host, `button[data-a="retry"]`)+` ? 'retry' : ''`) == "retry"; got != c.retry {
			t.Errorf("%s: retry button %v, want %v", c.host, got, c.retry)
		}
		if e.eval(shadow(c.host, "svg.qrc")+` ? 'qr' : ''`) != "" {
			t.Errorf("%s: a QR code after a failed load", c.host)
		}
	}
	if gets, qrs := e.api.requests("pay_e1"); gets != 1 || qrs != 0 {
		t.Errorf("after a 503: %d GET and %d POST /qr, want 1 and 0", gets, qrs)
	}
	e.eval(shadow("busy", `button[data-a="retry"]`) + `.click(), ''`)
	if got, want := e.decodeQR("busy"), e.api.expectedPayload("pay_e1", "bank_qr"); got != want {
		t.Errorf("busy: QR after retry encodes %q, want %q", got, want)
	}
	if gets, qrs := e.api.requests("pay_e1"); gets != 2 || qrs != 1 {
		t.Errorf("after the retry: %d GET and %d POST /qr, want 2 and 1", gets, qrs)
	}
	if r := e.eval(`window.rejections.join('; ')`); r != "" {
		t.Errorf("unhandled rejections: %s", r)
	}
}

// Unmounting before the prefetch settles neither throws nor posts for a
// QR nobody will see.
func TestUnmountBeforePrefetch(t *testing.T) {
	e := newEnv(t)
	e.api.add(&stubPayment{id: "pay_u1", token: "tok"})
	e.script = "handles.gone.unmount(); handles.offline.unmount();\n"
	e.load(widgetSpec{host: "gone", payment: "pay_u1", token: "tok", lang: "vi"},
		widgetSpec{host: "offline", payment: "pay_u1", token: "tok", lang: "vi", extra: ", gateway: 'http://127.0.0.1:9'"})
	e.waitFor("the loader", `window.handles.gone.ready.then(() => window.settled = true), window.settled`)
	time.Sleep(300 * time.Millisecond) // the GET has long been answered
	if gets, qrs := e.api.requests("pay_u1"); gets != 1 || qrs != 0 {
		t.Errorf("%d GET and %d POST /qr, want 1 and 0", gets, qrs)
	}
	if e.eval(shadow("gone", ".cp")+` ? 'widget' : ''`) != "" {
		t.Error("the unmounted widget was drawn")
	}
	if r := e.eval(`window.rejections.join('; ')`); r != "" {
		t.Errorf("unhandled rejections: %s", r)
	}
}
