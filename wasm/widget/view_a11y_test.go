package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestDetailsList checks the structure axe's definition-list rule asks
// for: each row is a div holding one dt and one dd, with the copy button
// inside the dd.
func TestDetailsList(t *testing.T) {
	p := testPayment()
	bm, _ := qrBitmap("hello")
	v := &view{l: &en, p: p, status: statusRequiresPaymentMethod, methods: []string{"bank_qr", "momo"}, method: "bank_qr",
		qr: &qrState{method: "bank_qr", res: bankQR(t, p, p.Amount, p.PaymentCode), bitmap: bm}}
	h := v.bodyHTML()
	dl := h[strings.Index(h, "<dl"):strings.Index(h, "</dl>")]
	row := regexp.MustCompile(`<div class="row"><dt id="cp-t\d">[^<]+</dt><dd><span class="val" id="cp-v\d">[^<]+</span><button [^>]+>Copy</button></dd></div>`)
	if rest := row.ReplaceAllString(strings.TrimPrefix(dl, `<dl class="dl">`), ""); rest != "" {
		t.Errorf("the list holds more than dt/dd rows: %q\n%s", rest, dl)
	}
	if n := len(row.FindAllString(dl, -1)); n != 5 {
		t.Errorf("%d rows, want 5", n)
	}
}

// TestQRTextAlternative checks that the QR code is described by the hint
// and the details on screen, each id referring to an element that exists.
func TestQRTextAlternative(t *testing.T) {
	p := testPayment()
	bm, _ := qrBitmap("hello")
	v := &view{l: &vi, p: p, status: statusRequiresPaymentMethod, methods: []string{"bank_qr", "momo"}, method: "bank_qr",
		qr: &qrState{method: "bank_qr", res: bankQR(t, p, p.Amount, p.PaymentCode), bitmap: bm}}
	h := v.bodyHTML()
	m := regexp.MustCompile(`<svg [^>]*aria-describedby="([^"]+)"`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("the QR code has no description: %s", h)
	}
	ids := strings.Fields(m[1])
	if ids[0] != "cp-how" || len(ids) != 1+2*5 {
		t.Errorf("describedby = %q, want the hint then 5 term/value pairs", m[1])
	}
	for _, id := range ids {
		if strings.Count(h, `id="`+id+`"`) != 1 {
			t.Errorf("id %s is not exactly once in the markup", id)
		}
	}
	if !strings.Contains(h, `id="cp-how">`+vi.noScanBank+`<`) || !strings.Contains(h, `id="cp-v2">113000000001<`) {
		t.Errorf("hint or account number not where the description points: %s", h)
	}

	// A wallet on a desktop without pay_url: nothing to do but scan; the
	// description is the amount alone, without a hint to press a button.
	v.method = methodMoMo
	v.qr = &qrState{method: methodMoMo, res: &qrResult{Method: methodMoMo, Payload: "https://x"}, bitmap: bm}
	if h := v.bodyHTML(); !strings.Contains(h, `aria-describedby="cp-t4 cp-v4"`) || strings.Contains(h, "cp-how") {
		t.Errorf("wallet without links: %s", h)
	}
	v.qr.res.PayURL = "https://pay"
	if h := v.bodyHTML(); !strings.Contains(h, `aria-describedby="cp-how cp-t4 cp-v4"`) || !strings.Contains(h, vi.noScanWallet) {
		t.Errorf("wallet with a pay_url: %s", h)
	}
}

// TestAttemptFailedView checks the screen after a declined attempt: an
// alert that can take focus, every method offered, none chosen, no QR.
func TestAttemptFailedView(t *testing.T) {
	p := testPayment()
	v := &view{l: &en, p: p, status: statusRequiresPaymentMethod, methods: []string{"bank_qr"}, attemptFailed: true}
	h := v.bodyHTML()
	want := `<div class="err" role="alert" tabindex="-1" data-error="attempt"><p>` + en.attemptFailed + `</p></div><fieldset class="ms">`
	if !strings.HasPrefix(h, want) {
		t.Errorf("body = %s\nwant it to start with %s", h, want)
	}
	// One method is still offered as a button, since the payer must pick it.
	if strings.Count(h, `data-a="m"`) != 1 || strings.Contains(h, `aria-pressed="true"`) || strings.Contains(h, "<svg") || strings.Contains(h, "data-error=\"method\"") {
		t.Errorf("methods not offered again as they should be: %s", h)
	}
	if v.statusText() != "" {
		t.Errorf("status line %q would talk over the alert", v.statusText())
	}
	v.attemptFailed = false
	if v.statusText() != en.waiting {
		t.Error("status line not restored")
	}
}
