package main

import "strconv"

// The widget's markup is built here as HTML text, which the JS side puts
// in place with one innerHTML assignment (through a Trusted Types policy
// where the page enforces them). Filling templates compiles to far less
// WebAssembly than creating each node with its own syscall/js calls, and
// it keeps all of the markup testable on the host.

// Template markers for tpl.
const (
	tE = "\x01" // the next argument, HTML-escaped
	tR = "\x02" // the next argument as is (markup built by this file)
)

// tpl fills template t: each tE is replaced by the next argument escaped
// for HTML text or a double-quoted attribute, each tR by the next argument
// unchanged.
func tpl(t string, args ...string) string {
	b := make([]byte, 0, len(t)+128)
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c != 1 && c != 2) || len(args) == 0 {
			b = append(b, c)
			continue
		}
		a := args[0]
		args = args[1:]
		if c == 2 {
			b = append(b, a...)
			continue
		}
		for j := 0; j < len(a); j++ {
			switch a[j] {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '"':
				b = append(b, "&#34;"...)
			case '\'':
				b = append(b, "&#39;"...)
			default:
				b = append(b, a[j])
			}
		}
	}
	return string(b)
}

// esc escapes s for HTML text and double-quoted attributes.
func esc(s string) string { return tpl(tE, s) }

// jsonStr quotes s as a JSON string.
func jsonStr(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// view is the state the markup is drawn from.
type view struct {
	_            [0]func()
	l            *lang
	p            *payment  // nil until loaded
	loadErr      *apiError // the payment could not be loaded
	status       string    // as tracked (statusTracker)
	localExpired bool
	redirecting  bool
	methods      []string
	method       string
	qr           *qrState // of method; nil before it is requested
	nowMs        float64
	mobile       bool
	// attemptFailed is set when the provider declined an attempt and the
	// payment went back to requires_payment_method: the methods are offered
	// again, none chosen, until the payer picks one.
	attemptFailed bool
}

// statusText is the text of the status live region.
func (v *view) statusText() string {
	l := v.l
	switch v.status {
	case statusRequiresPaymentMethod:
		if v.attemptFailed { // the alert says it; saying "waiting" too would talk over it
			return ""
		}
		return l.waiting
	case statusPending:
		return l.pending
	case statusSucceeded:
		return l.succeeded
	case statusFailed:
		return l.failed
	case statusExpired:
		return l.expired
	case statusCanceled:
		return l.canceled
	}
	return ""
}

// skeletonHTML is the static frame of a widget: header, status live
// region, body and a visually hidden announcer. The live regions exist
// from the start so that later changes are announced.
func skeletonHTML(l *lang, style string) string {
	return tpl(tR+`<section class="cp" role="region" aria-label="`+tE+`" lang="`+tE+`"><div class="hd"></div>`+
		`<div class="st" role="status" aria-live="polite" aria-atomic="true"></div><div class="bd" aria-busy="true"><p>`+tE+
		`</p></div><div class="sr" aria-live="polite" aria-atomic="true"></div></section>`,
		style, l.region, l.code, l.loading)
}

// headHTML is the header: agency, service, reference and amount.
func (v *view) headHTML() string {
	p := v.p
	ref := ""
	if p.Reference != "" {
		ref = v.l.reference + ": " + p.Reference
	}
	return tpl(`<p class="ag">`+tE+`</p><h2 class="sv">`+tE+`</h2><p class="ref">`+tE+`</p><p class="big">`+tE+`</p>`,
		p.AgencyName, p.ServiceName, ref, formatVND(p.Amount))
}

// button is a control; data-a names the action for the click handler,
// data-v its argument and data-k keeps focus on it across renders.
func button(action, value, key, text, extra string) string {
	return tpl(`<button type="button" data-a="`+tR+`" data-v="`+tE+`" data-k="`+tR+`"`+tR+`>`+tE+`</button>`,
		action, value, key, extra, text)
}

// errorHTML is an alert with a title and a detail, with a retry button
// when retry is set.
func errorHTML(kind, title, detail string, retry *lang) string {
	h := tpl(`<div class="err" role="alert" data-error="`+tR+`"><p>`+tE+`</p><p>`+tE+`</p></div>`, kind, title, detail)
	if retry != nil {
		h += button("retry", "", "retry", retry.retry, "")
	}
	return h
}

// bodyHTML is the part of the widget that changes with the state.
func (v *view) bodyHTML() string {
	l := v.l
	if e := v.loadErr; e != nil {
		msg, retry := l.networkError, l
		if e.status != 0 {
			msg = e.detail
			if msg == "" {
				msg = e.title
			}
			if e.status < 500 {
				retry = nil
			}
		}
		return errorHTML("load", l.loadError, msg, retry)
	}
	if v.p == nil {
		return tpl(`<p>`+tE+`</p>`, l.loading)
	}
	if sc := screenFor(v.status, v.localExpired); sc != screenPay {
		return v.endHTML(sc)
	}
	return v.payHTML()
}

func (v *view) payHTML() string {
	l, p, st := v.l, v.p, v.qr
	h := ""
	if v.attemptFailed {
		// Focusable so that focus can be put on it (see widget.attemptFailed).
		h = tpl(`<div class="err" role="alert" tabindex="-1" data-error="attempt"><p>`+tE+`</p></div>`, l.attemptFailed)
	}
	if len(v.methods) > 1 || v.attemptFailed && len(v.methods) > 0 {
		h += tpl(`<fieldset class="ms"><legend>`+tE+`</legend>`, l.chooseTitle)
		for _, m := range v.methods {
			pressed := "false"
			if m == v.method {
				pressed = "true"
			}
			h += button("m", m, "m:"+m, l.methodName(m), ` aria-pressed="`+pressed+`"`)
		}
		h += `</fieldset>`
	}
	switch {
	case v.method == "" && v.attemptFailed:
		return h
	case v.method == "":
		return h + errorHTML("method", l.badPayload, "", nil)
	case st == nil || st.loading:
		return h + tpl(`<div class="ph" aria-busy="true">`+tE+`</div>`, l.qrLoading)
	case st.apiErr != nil:
		msg := l.networkError
		if st.apiErr.status != 0 {
			msg = st.apiErr.detail
		}
		return h + errorHTML("qr", l.badPayload, msg, l)
	case st.bad != nil:
		return h + errorHTML("mismatch", l.qrMismatch, "", nil)
	}

	// Rows of payment details, drawn below the QR code. The QR's text
	// alternative is its label plus a description made of the hint "pay
	// without scanning" and these very rows (aria-describedby), so a
	// screen-reader user hears how to pay by hand from the text on screen.
	// A row's number (its copy button's focus key, its ids) is the same
	// for every method: the amount is row 4 everywhere.
	rows := [...]string{l.accountName, p.AccountName, p.AccountName, l.bank, p.BankName, p.BankName,
		l.accountNumber, p.AccountNumber, p.AccountNumber, l.content, p.PaymentCode, p.PaymentCode,
		l.amount, formatVND(p.Amount), p.Amount}
	dl, ids := "", ""
	for i := 0; i < len(rows); i += 3 {
		if rows[i+1] == "" || i < 12 && v.method != methodBankQR { // wallets: the amount only
			continue
		}
		k := strconv.Itoa(i / 3)
		dl += row(l, k, rows[i], rows[i+1], rows[i+2])
		ids += " cp-t" + k + " cp-v" + k
	}

	acts := ""
	if v.method != methodBankQR {
		if v.mobile && isSafeDeeplink(st.res.Deeplink) {
			acts = tpl(`<a class="btn pri" data-k="app" href="`+tE+`">`+tE+`</a>`, st.res.Deeplink, fill(l.openApp, "name", appName(v.method)))
		}
		if isWebURL(st.res.PayURL) {
			acts += tpl(`<a class="btn" data-k="payurl" target="_blank" rel="noopener noreferrer" href="`+tE+`">`+tE+`</a>`, st.res.PayURL, l.payURL)
		}
	}
	caption, how := l.scanBank, l.noScanBank
	if v.method != methodBankQR {
		caption, how = fill(l.scanWallet, "name", appName(v.method)), ""
		if acts != "" {
			how = l.noScanWallet
		}
	}
	if how != "" {
		ids = " cp-how" + ids
		how = tpl(`<span class="how" id="cp-how">`+tE+`</span>`, how)
	}
	if ids != "" {
		ids = ` aria-describedby="` + ids[1:] + `"`
	}

	n := strconv.Itoa(len(st.bitmap))
	px := strconv.Itoa(qrPixelSize(len(st.bitmap), qrTarget))
	h += tpl(`<figure class="qr"><svg xmlns="http://www.w3.org/2000/svg" class="qrc" role="img" shape-rendering="crispEdges" viewBox="0 0 `+
		tR+` `+tR+`" width="`+tR+`" height="`+tR+`" aria-label="`+tE+`"`+tR+`><rect width="`+tR+`" height="`+tR+
		`" fill="#fff"/><path fill="#000" d="`+tR+`"/></svg><figcaption><span>`+tE+`</span>`+tR+`</figcaption></figure>`,
		n, n, px, px, fill(fill(l.qrLabel, "method", l.methodName(v.method)), "amount", formatVND(p.Amount)), ids,
		n, n, qrPath(st.bitmap), caption, how)

	if p.ExpiresMs > 0 {
		h += tpl(`<p class="cd"><span>`+tE+` </span><time datetime="`+tE+`">`+tE+`</time></p>`,
			l.expiresIn, p.ExpiresAt, clockText(remainingSeconds(v.nowMs, p.ExpiresMs)))
	}

	if acts != "" {
		h += `<div class="acts">` + acts + `</div>`
	}
	h += `<dl class="dl">` + dl + `</dl>`
	if v.method == methodBankQR {
		h += tpl(`<p class="note">`+tE+`</p>`, l.contentNote)
	}
	return h
}

// row is a term and its value, with a button copying value. The button is
// inside the <dd>: a <dl> may hold only dt/dd groups (axe: definition-list).
// The ids link the text to the QR code's description.
func row(l *lang, k, label, shown, value string) string {
	return tpl(`<div class="row"><dt id="cp-t`+tR+`">`+tE+`</dt><dd><span class="val" id="cp-v`+tR+`">`+tE+`</span>`+tR+`</dd></div>`,
		k, label, k, shown,
		button("c", value, "c"+k, l.copy, tpl(` data-l="`+tE+`" aria-label="`+tE+`"`, label, fill(l.copyLabel, "label", label))))
}

func (v *view) endHTML(sc screen) string {
	l := v.l
	cls, name, title, hint, icon := "off", statusExpired, l.expired, l.expiredHint, "M12 7v5l3 2"
	switch sc {
	case screenSucceeded:
		cls, name, title, hint, icon = "ok", statusSucceeded, l.succeeded, l.succeededHint, "M7 12.5l3.2 3.2L17 9"
	case screenFailed:
		cls, name, title, hint, icon = "bad", statusFailed, l.failed, l.failedHint, "M8 8l8 8M16 8l-8 8"
	case screenCanceled:
		name, title, hint, icon = statusCanceled, l.canceled, l.canceledHint, "M8 8l8 8M16 8l-8 8"
	}
	back, redirect := "", ""
	if isWebURL(v.p.ReturnURL) {
		back = tpl(`<a class="btn pri" data-k="return" href="`+tE+`">`+tE+`</a>`, v.p.ReturnURL, l.returnNow)
		if v.redirecting {
			redirect = l.redirecting
		}
	}
	return tpl(`<div class="end `+tR+`" data-screen="`+tR+`"><svg xmlns="http://www.w3.org/2000/svg" class="ic" viewBox="0 0 24 24" aria-hidden="true" focusable="false">`+
		`<circle cx="12" cy="12" r="10.5" fill="none" stroke="currentColor" stroke-width="1.5"/>`+
		`<path d="`+tR+`" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`+
		`<h3 tabindex="-1">`+tE+`</h3><p>`+tE+`</p><p>`+tE+`</p>`+tR+`</div>`,
		cls, name, icon, title, hint, redirect, back)
}
