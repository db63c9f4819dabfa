//go:build js && wasm

package main

import (
	"syscall/js"
	"time"
)

// pollInterval is how often the status is polled when the event stream is
// not available.
const pollInterval = 3 * time.Second

// sseMaxErrors is how many EventSource errors in a row make the widget
// give up the stream and poll instead.
const sseMaxErrors = 3

// widget is one mounted payment widget.
type widget struct {
	_          [0]func()
	host, root js.Value
	l          *lang
	gw         string
	id, token  string
	delayMs    int      // before navigating to return_url
	fetch      js.Value // the loader's, see mount

	v         view
	tracker   statusTracker
	qrs       []*qrState
	dead      bool
	polling   bool
	sseErrors int
	spoken    int64
	skewMs    float64 // the gateway's clock minus this device's (see syncClock)

	// Nodes that live as long as the widget.
	head, status, body, announcer js.Value
	cdTime                        js.Value // countdown text, null when not shown
	copiedBtn                     js.Value // the copy button showing its confirmation
	funcs                         []js.Func
	es                            js.Value
}

var (
	sheet  js.Value // the shared constructed stylesheet, if supported
	policy js.Value // Trusted Types policy, if the page has them
)

// adoptStyles gives root the widget stylesheet as a constructed
// stylesheet, which a CSP without 'unsafe-inline' for styles allows. It
// returns false when the browser lacks them; the caller then inlines a
// <style> element.
func adoptStyles(root js.Value) (ok bool) {
	defer func() { recover() }()
	if sheet.IsUndefined() {
		s := global.Get("CSSStyleSheet").New()
		s.Call("replaceSync", css)
		sheet = s
	}
	root.Set("adoptedStyleSheets", global.Get("Array").New(sheet))
	return true
}

// setHTML assigns markup built by view (escaped there). Pages that enforce
// Trusted Types must allow the policy name "civicpay".
func setHTML(e js.Value, h string) {
	if policy.IsUndefined() {
		policy = js.Null()
		func() {
			defer func() { recover() }() // no trustedTypes, or the CSP forbids the name
			opts := jsObject.New()
			opts.Set("createHTML", js.FuncOf(func(_ js.Value, a []js.Value) any { return a[0] }))
			policy = global.Get("trustedTypes").Call("createPolicy", "civicpay", opts)
		}()
	}
	if !policy.IsNull() {
		e.Set("innerHTML", policy.Call("createHTML", h))
		return
	}
	e.Set("innerHTML", h)
}

// mount starts a widget in shadow root root of element host. It runs in a
// JS callback, so it only builds the skeleton and leaves the network to a
// goroutine. fetch is the loader's fetch for this mount, which answers the
// first API calls with requests it started at mount() (prefetch in
// civicpay.js).
func mount(host, root, opts js.Value, defaultGateway string, fetch js.Value) js.Value {
	f := fields(opts, "lang", "gateway", "payment", "clientToken")
	w := &widget{host: host, root: root, l: pickLang(f[0]), gw: f[1], id: f[2], token: f[3], delayMs: 3000, fetch: fetch, es: js.Null(), cdTime: js.Null()}
	if w.gw == "" {
		w.gw = defaultGateway
	}
	for len(w.gw) > 0 && w.gw[len(w.gw)-1] == '/' {
		w.gw = w.gw[:len(w.gw)-1]
	}
	if d := opts.Get("returnDelay"); d.Type() == js.TypeNumber && d.Int() >= 0 {
		w.delayMs = d.Int()
	}
	w.v.l = w.l
	w.v.mobile = global.Call("matchMedia", "(pointer: coarse)").Get("matches").Bool()

	style := ""
	if !adoptStyles(root) {
		style = "<style>" + css + "</style>"
	}
	setHTML(root, skeletonHTML(w.l, style))
	parts := root.Call("querySelectorAll", ".hd,.st,.bd,.sr")
	w.head, w.status, w.body, w.announcer = parts.Index(0), parts.Index(1), parts.Index(2), parts.Index(3)

	click := js.FuncOf(w.onClick)
	unmount := js.FuncOf(func(js.Value, []js.Value) any {
		w.unmount()
		return nil
	})
	w.funcs = []js.Func{click, unmount}
	root.Call("addEventListener", "click", click)
	handle := jsObject.New()
	handle.Set("unmount", unmount)

	if w.id == "" || w.token == "" {
		w.v.loadErr = &apiError{status: 400, title: "CivicPay.mount: the options payment and clientToken are required"}
		logError(w.v.loadErr.title, opts)
		w.render()
	} else {
		go w.start()
	}
	return handle
}

func (w *widget) unmount() {
	if w.dead {
		return
	}
	w.dead = true
	w.closeStream()
	w.root.Call("removeEventListener", "click", w.funcs[0])
	w.root.Set("textContent", "")
	for _, f := range w.funcs {
		f.Release()
	}
}

// start loads the payment and starts following it.
func (w *widget) start() {
	p, err := w.fetchPayment()
	if w.dead {
		return
	}
	w.v.loadErr = err
	if err != nil {
		logError("loading the payment failed:", err.Error())
		w.render()
		return
	}
	w.v.p = p
	w.v.methods = offeredMethods(p.Methods)
	w.v.method = defaultMethod(w.v.methods)
	setHTML(w.head, w.v.headHTML())
	w.body.Call("removeAttribute", "aria-busy")
	w.setStatus(p.Status)
	if isTerminal(w.tracker.status) {
		return
	}
	w.render()
	if w.v.method != "" {
		go w.loadQR(w.v.method)
	}
	if p.ExpiresMs > 0 {
		go w.countdown()
	}
	w.follow()
}

// setStatus records a status reported by the gateway and updates the
// screen, raising the DOM event for terminal statuses.
func (w *widget) setStatus(s string) {
	prev := w.tracker.status
	changed, ev := w.tracker.update(s)
	if !changed || w.dead {
		return
	}
	w.v.status = s
	if prev == statusPending && s == statusRequiresPaymentMethod {
		w.attemptFailed()
		return
	}
	w.status.Set("textContent", w.v.statusText())
	if ev == "" {
		w.render()
		return
	}
	w.closeStream()
	w.status.Set("className", "st sr") // the final screen says it; keep it for screen readers only
	w.renderEnd()
	init := parseJSON(`{"bubbles":true,"composed":true,"cancelable":true,"detail":{"payment":` + jsonStr(w.id) + `,"status":"` + s + `"}}`)
	proceed := w.host.Call("dispatchEvent", global.Get("CustomEvent").New(ev, init)).Bool()
	if s == statusSucceeded && proceed && isWebURL(w.v.p.ReturnURL) {
		w.v.redirecting = true
		w.render()
		go func() {
			time.Sleep(time.Duration(w.delayMs) * time.Millisecond)
			if !w.dead {
				global.Get("location").Call("assign", w.v.p.ReturnURL)
			}
		}()
	}
}

// qrFor returns the QR state of a method, nil if not requested yet.
func (w *widget) qrFor(method string) *qrState {
	for _, st := range w.qrs {
		if st.method == method {
			return st
		}
	}
	return nil
}

// loadQR fetches, verifies and rasterises the QR of a method.
func (w *widget) loadQR(method string) {
	st := w.qrFor(method)
	if st == nil {
		st = &qrState{method: method}
		w.qrs = append(w.qrs, st)
	}
	st.loading, st.apiErr, st.bad = true, nil, nil
	w.render()
	st.res, st.apiErr = w.fetchQR(method)
	st.loading = false
	if st.apiErr != nil {
		logError("getting the QR code failed:", st.apiErr.Error())
	} else if st.bad = checkQR(w.v.p, st.res); st.bad == nil {
		st.bitmap, st.bad = qrBitmap(st.res.Payload)
	}
	if st.bad != nil {
		logError("refusing the QR payload:", st.bad.Error())
	}
	w.render()
}

// countdown updates the expiry countdown every second until the payment
// ends; at zero it hides the QR and asks the gateway for the status.
func (w *widget) countdown() {
	for !w.dead && !isTerminal(w.tracker.status) {
		left := w.v.p.ExpiresMs - w.now()
		secs := remainingSeconds(0, left)
		if !w.cdTime.IsNull() {
			w.cdTime.Set("textContent", clockText(secs))
		}
		if countdownAnnounce(secs) && secs != w.spoken {
			w.spoken = secs
			w.announce(fill(w.l.expiresSpoken, "time", spokenDuration(w.l, secs)))
		}
		if secs == 0 {
			w.v.localExpired = true
			w.renderEnd()
			w.refreshStatus()
			return
		}
		time.Sleep(time.Duration(int64(left)%1000+5) * time.Millisecond)
	}
}

// follow listens to the status stream, falling back to polling.
func (w *widget) follow() {
	es := global.Get("EventSource")
	if !isObject(es) {
		go w.poll()
		return
	}
	enc := global.Get("encodeURIComponent")
	w.es = es.New(w.gw + "/v1/payments/" + enc.Invoke(w.id).String() + "/stream?client_token=" + enc.Invoke(w.token).String())
	onStatus := js.FuncOf(func(_ js.Value, args []js.Value) any {
		w.sseErrors = 0
		w.setStatus(fields(parseJSON(fields(args[0], "data")[0]), "status")[0])
		return nil
	})
	onError := js.FuncOf(func(js.Value, []js.Value) any {
		if w.dead || w.es.IsNull() {
			return nil
		}
		w.sseErrors++
		// readyState 2 (CLOSED): the browser will not reconnect, for
		// example after a non-200 answer or a wrong content type.
		if w.es.Get("readyState").Int() == 2 || w.sseErrors >= sseMaxErrors {
			w.closeStream()
			go w.poll()
		}
		return nil
	})
	w.funcs = append(w.funcs, onStatus, onError)
	w.es.Call("addEventListener", "status", onStatus)
	w.es.Call("addEventListener", "error", onError)
}

func (w *widget) closeStream() {
	if !w.es.IsNull() {
		w.es.Call("close")
		w.es = js.Null()
	}
}

// poll asks for the status every pollInterval until it is terminal.
func (w *widget) poll() {
	if w.polling {
		return
	}
	w.polling = true
	for !w.dead && !isTerminal(w.tracker.status) {
		w.refreshStatus()
		time.Sleep(pollInterval)
	}
}

func (w *widget) refreshStatus() {
	if p, err := w.fetchPayment(); err == nil && !w.dead {
		w.setStatus(p.Status)
	}
}

// onClick handles every click in the widget by event delegation: controls
// carry data-a (the action) and data-v (its argument), so re-rendering
// needs no new js.Func.
func (w *widget) onClick(_ js.Value, args []js.Value) any {
	c := args[0].Get("target")
	if w.dead || !isObject(c.Get("closest")) {
		return nil
	}
	c = c.Call("closest", "[data-a]")
	f := fields(c, "dataset.a", "dataset.v", "dataset.l")
	switch f[0] {
	case "m":
		if w.v.attemptFailed {
			w.v.attemptFailed = false
			w.status.Set("textContent", w.v.statusText())
		}
		if f[1] != w.v.method {
			w.v.method = f[1]
			if st := w.qrFor(f[1]); st == nil || st.apiErr != nil {
				go w.loadQR(f[1])
			} else {
				w.render()
			}
		}
	case "c":
		w.copy(c, f[2], f[1])
	case "retry":
		if w.v.p == nil {
			w.v.loadErr = nil
			w.render()
			go w.start()
		} else {
			go w.loadQR(w.v.method)
		}
	}
	return nil
}

// copy writes a value to the clipboard. writeText is called in the click
// callback itself, while the page has the user activation it requires.
func (w *widget) copy(button js.Value, label, value string) {
	cb := global.Get("navigator").Get("clipboard")
	if !isObject(cb) {
		w.announce(w.l.copyFailed)
		return
	}
	p := cb.Call("writeText", value)
	go func() {
		if _, ok := await(p); !ok {
			w.announce(w.l.copyFailed)
			return
		}
		w.copied(button, label)
	}()
}

// render redraws the variable part of the widget for the current state,
// keeping keyboard focus on the same control when it is redrawn.
func (w *widget) render() {
	if w.dead {
		return
	}
	key := fields(w.root.Get("activeElement"), "dataset.k")[0]
	w.v.qr = w.qrFor(w.v.method)
	w.v.nowMs = w.now()
	setHTML(w.body, w.v.bodyHTML())
	w.cdTime = w.body.Call("querySelector", "time")
	if key != "" { // keys are [a-z0-9_:], safe in a selector
		if e := w.body.Call("querySelector", `[data-k="`+key+`"]`); !e.IsNull() {
			e.Call("focus")
		}
	}
}
