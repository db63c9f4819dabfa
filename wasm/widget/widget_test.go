package main

import (
	"errors"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/civicpay/civicpay/banks/vietqr"
)

func TestFormatVND(t *testing.T) {
	for in, want := range map[string]string{
		"1250000":      "1.250.000 ₫",
		"0":            "0 ₫",
		"999":          "999 ₫",
		"1000":         "1.000 ₫",
		"100000":       "100.000 ₫",
		"00012000":     "12.000 ₫",
		"-5000":        "-5.000 ₫",
		"12.5":         "12.5",
		"":             "",
		"abc":          "abc",
		"500000000000": "500.000.000.000 ₫",
	} {
		if got := formatVND(in); got != want {
			t.Errorf("formatVND(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	for secs, want := range map[int64]string{-3: "0:00", 0: "0:00", 9: "0:09", 60: "1:00", 899: "14:59", 3600: "1:00:00", 3725: "1:02:05"} {
		if got := clockText(secs); got != want {
			t.Errorf("clockText(%d) = %q, want %q", secs, got, want)
		}
	}
	if got := remainingSeconds(1000, 1000); got != 0 {
		t.Errorf("remaining at deadline = %d", got)
	}
	if got := remainingSeconds(1000, 1001); got != 1 {
		t.Errorf("remaining 1 ms before = %d, want 1 (rounded up)", got)
	}
	if got := remainingSeconds(0, 900000); got != 900 {
		t.Errorf("remaining = %d", got)
	}
	for secs, want := range map[int64]string{300: "5 phút", 61: "2 phút", 60: "1 phút", 30: "30 giây", 10: "10 giây"} {
		if got := spokenDuration(&vi, secs); got != want {
			t.Errorf("vi spokenDuration(%d) = %q, want %q", secs, got, want)
		}
	}
	for secs, want := range map[int64]string{60: "1 minute", 120: "2 minutes", 1: "1 second", 10: "10 seconds"} {
		if got := spokenDuration(&en, secs); got != want {
			t.Errorf("en spokenDuration(%d) = %q, want %q", secs, got, want)
		}
	}
	var announced []int64
	for s := int64(900); s >= 0; s-- {
		if countdownAnnounce(s) {
			announced = append(announced, s)
		}
	}
	var parts []string
	for _, n := range announced {
		parts = append(parts, strconv.FormatInt(n, 10))
	}
	if got := strings.Join(parts, ","); got != "300,240,180,120,60,30,10" {
		t.Errorf("announced at %s", got)
	}
}

func TestLang(t *testing.T) {
	for tag, want := range map[string]string{"": "vi", "vi": "vi", "vi-VN": "vi", "en": "en", "EN-us": "en", "en_GB": "en", "eng": "vi", "fr": "vi"} {
		if got := pickLang(tag).code; got != want {
			t.Errorf("pickLang(%q) = %s, want %s", tag, got, want)
		}
	}
	if got := fill("a {x} b {x} {y}", "x", "1"); got != "a 1 b 1 {y}" {
		t.Errorf("fill = %q", got)
	}
	// Every string is set in both languages.
	check := func(l *lang) {
		for _, s := range []string{l.region, l.loading, l.reference, l.amount, l.chooseTitle, l.methodBank, l.methodMoMo,
			l.scanBank, l.scanWallet, l.qrLabel, l.qrLoading, l.accountName, l.bank, l.accountNumber, l.content,
			l.contentNote, l.copy, l.copyLabel, l.copied, l.copyFailed, l.expiresIn, l.expiresSpoken, l.minute,
			l.minutes, l.second, l.seconds, l.waiting, l.pending, l.succeeded, l.failed, l.expired, l.canceled,
			l.succeededHint, l.failedHint, l.expiredHint, l.canceledHint, l.redirecting, l.returnNow, l.loadError,
			l.networkError, l.retry, l.qrMismatch, l.badPayload, l.openApp, l.payURL, l.noScanBank, l.noScanWallet, l.copiedShort, l.attemptFailed} {
			if s == "" {
				t.Errorf("%s: a string is empty", l.code)
			}
		}
	}
	check(&vi)
	check(&en)
}

func TestStatusTracker(t *testing.T) {
	var tr statusTracker
	steps := []struct {
		in, event string
		changed   bool
	}{
		{"requires_payment_method", "", true},
		{"requires_payment_method", "", false},
		{"bogus", "", false},
		{"pending", "", true},
		{"succeeded", "civicpay:succeeded", true},
		{"failed", "", false}, // terminal is final
		{"succeeded", "", false},
	}
	for _, s := range steps {
		changed, ev := tr.update(s.in)
		if changed != s.changed || ev != s.event {
			t.Errorf("update(%s) = %v %q, want %v %q", s.in, changed, ev, s.changed, s.event)
		}
	}
	for status, want := range map[string]screen{"requires_payment_method": screenPay, "pending": screenPay,
		"succeeded": screenSucceeded, "failed": screenFailed, "expired": screenExpired, "canceled": screenCanceled} {
		if got := screenFor(status, false); got != want {
			t.Errorf("screenFor(%s) = %d, want %d", status, got, want)
		}
	}
	if screenFor("pending", true) != screenExpired || screenFor("succeeded", true) != screenSucceeded {
		t.Error("local expiry must hide the QR but not override a final status")
	}
}

func TestMethods(t *testing.T) {
	got := offeredMethods([]string{"momo", "cash", "bank_qr", "momo", "vnpay", "zalopay"})
	if strings.Join(got, ",") != "momo,bank_qr,vnpay,zalopay" {
		t.Errorf("offeredMethods = %v", got)
	}
	if defaultMethod(got) != "bank_qr" || defaultMethod([]string{"zalopay", "momo"}) != "zalopay" || defaultMethod(nil) != "" {
		t.Error("defaultMethod")
	}
}

func TestURLs(t *testing.T) {
	for u, want := range map[string]bool{"https://a.vn/x": true, "HTTP://a": true, "javascript:alert(1)": false, "//a.vn": false, "ftp://x": false, "": false} {
		if isWebURL(u) != want {
			t.Errorf("isWebURL(%q) != %v", u, want)
		}
	}
	for u, want := range map[string]bool{"momo://app?x=1": true, "zalopay://pay": true, "intent://x#Intent;end": true, "https://a.vn": true,
		"javascript:alert(1)": false, "JavaScript:alert(1)": false, "data:text/html,x": false, "vbscript:x": false, "": false,
		"noscheme": false, ":x": false, "1momo://x": false, " javascript:x": false} {
		if isSafeDeeplink(u) != want {
			t.Errorf("isSafeDeeplink(%q) != %v", u, want)
		}
	}
}

func TestEscaping(t *testing.T) {
	if got := esc(`<a href="x">'&'</a>`); got != "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;" {
		t.Errorf("esc = %s", got)
	}
	if got := tpl("<b>"+tE+"</b>"+tR, "<i>", "<hr>"); got != "<b>&lt;i&gt;</b><hr>" {
		t.Errorf("tpl = %s", got)
	}
	if got := jsonStr("a\"b\\c\n\x01đ"); got != `"a\"b\\c\u000a\u0001đ"` {
		t.Errorf("jsonStr = %s", got)
	}
}

// testPayment is the payment of the API contract's example.
func testPayment() *payment {
	return &payment{
		ID: "pay_1", Status: statusRequiresPaymentMethod, Amount: "1250000", Reference: "HS-2026-000123",
		PaymentCode: "CP7K9Q2XW4", ExpiresAt: "2026-11-23T18:00:00Z", ExpiresMs: 1795456800000,
		AgencyName: "Kho bạc Nhà nước Hà Nội", BankBIN: "970415", BankName: "VietinBank",
		AccountNumber: "113000000001", AccountName: "KHO BAC NHA NUOC HA NOI", ServiceName: "Đăng ký khai sinh",
		Methods: []string{"bank_qr", "momo"},
	}
}

func bankQR(t *testing.T, p *payment, amount, purpose string) *qrResult {
	t.Helper()
	s, err := vietqr.Build(vietqr.Payload{BIN: p.BankBIN, Account: p.AccountNumber, Amount: amount, Purpose: purpose})
	if err != nil {
		t.Fatal(err)
	}
	return &qrResult{Method: methodBankQR, Payload: s, Amount: p.Amount, PaymentCode: p.PaymentCode,
		Beneficiary: &beneficiary{BIN: p.BankBIN, AccountNumber: p.AccountNumber}}
}

func TestCheckQR(t *testing.T) {
	p := testPayment()
	good := bankQR(t, p, p.Amount, p.PaymentCode)
	if err := checkQR(p, good); err != nil {
		t.Fatalf("a correct payload is refused: %v", err)
	}
	crc := *good
	crc.Payload = good.Payload[:len(good.Payload)-1] + "0"
	if crc.Payload == good.Payload {
		crc.Payload = good.Payload[:len(good.Payload)-1] + "1"
	}
	otherAccount := bankQR(t, &payment{BankBIN: p.BankBIN, AccountNumber: "999999999", Amount: p.Amount, PaymentCode: p.PaymentCode}, p.Amount, p.PaymentCode)
	otherAccount.Beneficiary = good.Beneficiary
	echoed := *good
	echoed.Amount = "1"
	noBen := *good
	noBen.Beneficiary = &beneficiary{BIN: "970436", AccountNumber: p.AccountNumber}
	for name, q := range map[string]*qrResult{
		"wrong amount":       bankQR(t, p, "1260000", p.PaymentCode),
		"no amount":          bankQR(t, p, "", p.PaymentCode),
		"wrong purpose":      bankQR(t, p, p.Amount, "CP0000000"),
		"bad CRC":            &crc,
		"other account":      otherAccount,
		"echoed amount":      &echoed,
		"other beneficiary":  &noBen,
		"empty":              {Method: methodBankQR},
		"not vietqr":         {Method: methodBankQR, Payload: "hello"},
		"wallet, wrong code": {Method: methodMoMo, Payload: "https://x", PaymentCode: "NOPE"},
	} {
		if err := checkQR(p, q); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := checkQR(p, &qrResult{Method: methodMoMo, Payload: "https://pay.momo.vn/x", Amount: p.Amount}); err != nil {
		t.Errorf("wallet payload refused: %v", err)
	}
	if err := checkQR(p, bankQR(t, p, "1260000", p.PaymentCode)); !errors.Is(err, vietqr.ErrMismatch) {
		t.Errorf("wrong amount: error %v, want vietqr.ErrMismatch", err)
	}
}

// render draws the path back into an image the way a browser would, and
// decodes it: the path must reproduce the symbol exactly.
func TestQRPathDecodes(t *testing.T) {
	p := testPayment()
	payload := bankQR(t, p, p.Amount, p.PaymentCode).Payload
	bm, err := qrBitmap(payload)
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	for _, row := range bm[:4] { // quiet zone
		for _, dark := range row {
			if dark {
				t.Fatal("no quiet zone")
			}
		}
	}
	const scale = 4
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	path := qrPath(bm)
	for _, sub := range strings.Split(strings.TrimSuffix(path, "z"), "z") {
		var x, y, w int
		if _, err := sscan(sub, &x, &y, &w); err != nil {
			t.Fatalf("subpath %q: %v", sub, err)
		}
		for dy := 0; dy < scale; dy++ {
			for dx := 0; dx < w*scale; dx++ {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != payload {
		t.Errorf("decoded %q, want %q", res.GetText(), payload)
	}
	if got := qrPixelSize(57, 288); got != 285 {
		t.Errorf("qrPixelSize(57) = %d", got)
	}
	if got := qrPixelSize(177, 288); got != 531 {
		t.Errorf("qrPixelSize(177) = %d, want 3 px per module", got)
	}
}

// sscan parses "M<x> <y>h<w>v1h-<w>".
func sscan(s string, x, y, w *int) (int, error) {
	var rest string
	if !strings.HasPrefix(s, "M") {
		return 0, errors.New("no M")
	}
	s = s[1:]
	num := func() (int, error) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, errors.New("no number in " + s)
		}
		n := 0
		for _, c := range s[:i] {
			n = n*10 + int(c-'0')
		}
		s = s[i:]
		return n, nil
	}
	var err error
	if *x, err = num(); err != nil {
		return 0, err
	}
	s = strings.TrimPrefix(s, " ")
	if *y, err = num(); err != nil {
		return 0, err
	}
	s = strings.TrimPrefix(s, "h")
	if *w, err = num(); err != nil {
		return 0, err
	}
	rest = s
	if want := "v1h-" + strconv.Itoa(*w); rest != want {
		return 0, errors.New("tail " + rest)
	}
	return 3, nil
}

func TestViewHTML(t *testing.T) {
	p := testPayment()
	p.AgencyName = `<script>alert("x")</script>`
	v := &view{l: &vi, p: p, status: statusRequiresPaymentMethod, methods: []string{"bank_qr", "momo"}, method: "bank_qr", nowMs: p.ExpiresMs - 65000}
	if h := v.headHTML(); strings.Contains(h, "<script>") || !strings.Contains(h, "&lt;script&gt;") || !strings.Contains(h, "1.250.000 ₫") {
		t.Errorf("head not escaped or lacks the amount: %s", h)
	}
	if h := v.bodyHTML(); !strings.Contains(h, `class="ph"`) {
		t.Errorf("no placeholder while the QR loads: %s", h)
	}
	bm, _ := qrBitmap("hello")
	v.qr = &qrState{method: "bank_qr", res: bankQR(t, p, p.Amount, p.PaymentCode), bitmap: bm}
	h := v.bodyHTML()
	for _, want := range []string{`aria-pressed="true"`, `data-v="momo"`, `<svg xmlns="http://www.w3.org/2000/svg" class="qrc" role="img"`,
		`aria-label="Mã QR thanh toán Chuyển khoản (VietQR), số tiền 1.250.000 ₫"`, `<time datetime="2026-11-23T18:00:00Z">1:05</time>`,
		`data-v="113000000001"`, `data-v="CP7K9Q2XW4"`, `data-v="1250000"`, `aria-label="Sao chép Số tài khoản"`, "Giữ nguyên"} {
		if !strings.Contains(h, want) {
			t.Errorf("pay body lacks %s:\n%s", want, h)
		}
	}
	if strings.Count(h, "<button") != 2+5 {
		t.Errorf("%d buttons, want 2 methods + 5 copy", strings.Count(h, "<button"))
	}

	v.method = methodMoMo
	v.qr = &qrState{method: methodMoMo, res: &qrResult{Method: methodMoMo, Payload: "https://x", Deeplink: "momo://x", PayURL: "https://pay"}, bitmap: bm}
	if h := v.bodyHTML(); strings.Contains(h, "momo://") || !strings.Contains(h, `href="https://pay"`) {
		t.Errorf("desktop: deeplink shown or pay_url missing: %s", h)
	}
	v.mobile = true
	if h := v.bodyHTML(); !strings.Contains(h, `href="momo://x"`) || !strings.Contains(h, "Mở ứng dụng MoMo") {
		t.Errorf("mobile: no open-app link: %s", h)
	}
	v.qr.res.Deeplink = "javascript:alert(1)"
	if h := v.bodyHTML(); strings.Contains(h, "javascript:") {
		t.Errorf("unsafe deeplink rendered: %s", h)
	}

	v.qr = &qrState{method: methodMoMo, bad: errMismatch}
	if h := v.bodyHTML(); !strings.Contains(h, `data-error="mismatch"`) || strings.Contains(h, "<svg") {
		t.Errorf("mismatch: %s", h)
	}

	v.status = statusSucceeded
	p.ReturnURL = "https://portal.vn/back?a=1&b=2"
	v.redirecting = true
	h = v.bodyHTML()
	for _, want := range []string{`data-screen="succeeded"`, `<h3 tabindex="-1">Thanh toán thành công</h3>`, `href="https://portal.vn/back?a=1&amp;b=2"`, vi.redirecting} {
		if !strings.Contains(h, want) {
			t.Errorf("success lacks %s: %s", want, h)
		}
	}
	p.ReturnURL = "javascript:alert(1)"
	if h := v.bodyHTML(); strings.Contains(h, "javascript") {
		t.Errorf("unsafe return_url rendered: %s", h)
	}

	v = &view{l: &en, loadErr: &apiError{status: 401, title: "Unauthorized", detail: "The client token is not valid."}}
	if h := v.bodyHTML(); !strings.Contains(h, "The client token is not valid.") || strings.Contains(h, "retry") {
		t.Errorf("401: %s", h)
	}
	v.loadErr = &apiError{}
	if h := v.bodyHTML(); !strings.Contains(h, en.networkError) || !strings.Contains(h, `data-a="retry"`) {
		t.Errorf("network error: %s", h)
	}
	if h := skeletonHTML(&en, ""); !strings.Contains(h, `role="status" aria-live="polite"`) || !strings.Contains(h, `lang="en"`) {
		t.Errorf("skeleton: %s", h)
	}
}
