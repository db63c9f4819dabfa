//go:build js && wasm

package main

import "syscall/js"

// requestTimeoutMs bounds each API call, so a hung connection turns into
// a retryable error instead of an endless spinner.
const requestTimeoutMs = 20000

// api calls the gateway with the browser's fetch (as wrapped by the loader,
// which may have made the call already) and parses the answer with the
// browser's JSON parser. body, if not "", is sent as JSON. Errors are
// application/problem+json; a network failure has status 0.
func (w *widget) api(method, path, body string) (js.Value, *apiError) {
	init := parseJSON(`{"method":"` + method + `","credentials":"omit","cache":"no-store","headers":{"Accept":"application/json",` +
		`"Content-Type":"application/json","Authorization":` + jsonStr("Bearer "+w.token) + `}}`)
	if body != "" {
		init.Set("body", body)
	}
	if as := global.Get("AbortSignal"); isObject(as) && isObject(as.Get("timeout")) {
		init.Set("signal", as.Call("timeout", requestTimeoutMs))
	}
	resp, ok := await(w.fetch.Invoke(w.gw+"/v1/payments/"+global.Call("encodeURIComponent", w.id).String()+path, init))
	if !ok {
		return resp, &apiError{detail: global.Call("String", resp).String()}
	}
	data, ok := await(resp.Call("json"))
	if !ok || !isObject(data) {
		data = js.Null()
	}
	if status := resp.Get("status").Int(); !resp.Get("ok").Bool() || data.IsNull() {
		f := fields(data, "title", "detail")
		return data, &apiError{status: status, title: f[0], detail: f[1]}
	}
	w.syncClock(resp)
	return data, nil
}

// syncClock takes the gateway's time from a response's Date header, so the
// countdown to expires_at (the gateway's clock) is right on a device whose
// clock is off: a phone ten minutes fast would otherwise hide the QR code
// ten minutes early. Date has whole seconds; the middle of the second is
// assumed.
func (w *widget) syncClock(resp js.Value) {
	h := resp.Get("headers")
	if !isObject(h) {
		return
	}
	if d := h.Call("get", "Date"); d.Type() == js.TypeString {
		if ms := parseDateMs(d.String()); ms > 0 {
			w.skewMs = ms + 500 - nowMs()
		}
	}
}

// now is the gateway's time as best known, in milliseconds.
func (w *widget) now() float64 { return nowMs() + w.skewMs }

// fetchPayment loads GET /v1/payments/{id}.
func (w *widget) fetchPayment() (*payment, *apiError) {
	v, err := w.api("GET", "", "")
	if err != nil {
		return nil, err
	}
	f := fields(v, "id", "status", "amount", "reference", "payment_code", "expires_at", "return_url",
		"agency.name", "agency.bank_bin", "agency.bank_name", "agency.account_number", "agency.account_name",
		"service.name."+w.l.code, "service.name.vi", "service.name")
	p := &payment{
		ID: f[0], Status: f[1], Amount: f[2], Reference: f[3], PaymentCode: f[4], ExpiresAt: f[5], ReturnURL: f[6],
		AgencyName: f[7], BankBIN: f[8], BankName: f[9], AccountNumber: f[10], AccountName: f[11],
		ServiceName: f[12], Methods: strList(v, "methods"),
	}
	for _, alt := range f[13:] { // other language, or a plain string name
		if p.ServiceName == "" {
			p.ServiceName = alt
		}
	}
	p.ExpiresMs = parseDateMs(p.ExpiresAt)
	return p, nil
}

// fetchQR asks POST /v1/payments/{id}/qr for the payload of a method.
func (w *widget) fetchQR(method string) (*qrResult, *apiError) {
	v, err := w.api("POST", "/qr", `{"method":`+jsonStr(method)+`}`)
	if err != nil {
		return nil, err
	}
	f := fields(v, "method", "qr_payload", "deeplink", "pay_url", "amount", "payment_code",
		"beneficiary.bank_bin", "beneficiary.bank_name", "beneficiary.account_number", "beneficiary.account_name")
	q := &qrResult{Method: f[0], Payload: f[1], Deeplink: f[2], PayURL: f[3], Amount: f[4], PaymentCode: f[5]}
	if q.Method == "" {
		q.Method = method
	}
	if isObject(v.Get("beneficiary")) {
		q.Beneficiary = &beneficiary{BIN: f[6], BankName: f[7], AccountNumber: f[8], AccountName: f[9]}
	}
	return q, nil
}
