package main

import "strings"

// lang holds every user-visible string of the widget in one language.
// Strings containing "{x}" are templates filled by fill.
type lang struct {
	_    [0]func() // not comparable: saves the generated equality function
	code string

	region      string // aria-label of the whole widget
	loading     string
	agency      string
	service     string
	reference   string
	amount      string
	chooseTitle string // label of the method group

	methodBank    string
	methodMoMo    string
	methodZaloPay string
	methodVNPay   string

	scanBank     string
	scanWallet   string // {name}
	qrLabel      string // {method}, {amount}
	qrLoading    string
	noScanBank   string // how to pay without scanning, part of the QR's description
	noScanWallet string

	accountName     string
	bank            string
	accountNumber   string
	content         string
	contentNote     string
	copy            string // visible button text
	copyLabel       string // {label}: aria-label of a copy button
	copied          string // {label}
	copiedShort     string // visible button text after copying
	copyFailed      string
	expiresIn       string
	expiresSpoken   string // {time}
	minute, minutes string
	second, seconds string

	waiting   string
	pending   string
	succeeded string
	failed    string
	expired   string
	canceled  string

	succeededHint string
	failedHint    string
	expiredHint   string
	canceledHint  string

	redirecting string
	returnNow   string

	attemptFailed string // the provider declined; methods offered again

	loadError    string
	networkError string
	retry        string
	qrMismatch   string
	badPayload   string

	openApp string // {name}
	payURL  string
}

var vi = lang{
	code:        "vi",
	region:      "Thanh toán dịch vụ công",
	loading:     "Đang tải thông tin thanh toán…",
	agency:      "Cơ quan thu",
	service:     "Dịch vụ",
	reference:   "Mã hồ sơ",
	amount:      "Số tiền",
	chooseTitle: "Phương thức thanh toán",

	methodBank:    "Chuyển khoản (VietQR)",
	methodMoMo:    "Ví MoMo",
	methodZaloPay: "ZaloPay",
	methodVNPay:   "VNPAY",

	scanBank:   "Mở ứng dụng ngân hàng bất kỳ và quét mã QR",
	scanWallet: "Mở ứng dụng {name} và quét mã QR",
	qrLabel:    "Mã QR thanh toán {method}, số tiền {amount}",
	qrLoading:  "Đang tạo mã QR…",

	noScanBank:   "Không quét được mã? Chuyển khoản theo thông tin bên dưới.",
	noScanWallet: "Không quét được mã? Dùng nút bên dưới.",

	accountName:   "Tên tài khoản",
	bank:          "Ngân hàng",
	accountNumber: "Số tài khoản",
	content:       "Nội dung chuyển khoản",
	contentNote:   "Giữ nguyên nội dung chuyển khoản để khoản thanh toán được ghi nhận tự động.",
	copy:          "Sao chép",
	copyLabel:     "Sao chép {label}",
	copied:        "Đã sao chép {label}",
	copiedShort:   "Đã sao chép",
	copyFailed:    "Không sao chép được, hãy chọn và sao chép thủ công.",
	expiresIn:     "Mã hết hạn sau",
	expiresSpoken: "Mã thanh toán hết hạn sau {time}",
	minute:        "phút", minutes: "phút",
	second: "giây", seconds: "giây",

	waiting:   "Đang chờ thanh toán…",
	pending:   "Đang xử lý thanh toán…",
	succeeded: "Thanh toán thành công",
	failed:    "Thanh toán không thành công",
	expired:   "Khoản thanh toán đã hết hạn",
	canceled:  "Khoản thanh toán đã bị hủy",

	succeededHint: "Cảm ơn bạn. Cơ quan thu đã nhận được khoản thanh toán.",
	failedHint:    "Giao dịch không thành công. Bạn chưa bị trừ tiền hoặc sẽ được hoàn lại.",
	expiredHint:   "Vui lòng tạo lại yêu cầu thanh toán trên trang dịch vụ.",
	canceledHint:  "Vui lòng quay lại trang dịch vụ nếu bạn muốn thanh toán lại.",

	redirecting: "Đang chuyển về trang dịch vụ…",
	returnNow:   "Quay lại trang dịch vụ",

	attemptFailed: "Lần thanh toán chưa thành công. Vui lòng chọn phương thức để thử lại.",

	loadError:    "Không tải được thông tin thanh toán.",
	networkError: "Lỗi kết nối. Vui lòng kiểm tra mạng và thử lại.",
	retry:        "Thử lại",
	qrMismatch:   "Mã QR nhận được không khớp với khoản thanh toán nên không được hiển thị. Vui lòng không chuyển khoản và liên hệ cơ quan thu.",
	badPayload:   "Không tạo được mã QR cho phương thức này.",

	openApp: "Mở ứng dụng {name}",
	payURL:  "Mở trang thanh toán",
}

var en = lang{
	code:        "en",
	region:      "Public service payment",
	loading:     "Loading payment details…",
	agency:      "Agency",
	service:     "Service",
	reference:   "Reference",
	amount:      "Amount",
	chooseTitle: "Payment method",

	methodBank:    "Bank transfer (VietQR)",
	methodMoMo:    "MoMo",
	methodZaloPay: "ZaloPay",
	methodVNPay:   "VNPAY",

	scanBank:   "Open any banking app and scan the QR code",
	scanWallet: "Open the {name} app and scan the QR code",
	qrLabel:    "Payment QR code, {method}, amount {amount}",
	qrLoading:  "Creating the QR code…",

	noScanBank:   "Cannot scan? Transfer with the details below.",
	noScanWallet: "Cannot scan? Use the button below.",

	accountName:   "Account name",
	bank:          "Bank",
	accountNumber: "Account number",
	content:       "Transfer content",
	contentNote:   "Keep the transfer content unchanged so the payment is matched automatically.",
	copy:          "Copy",
	copyLabel:     "Copy {label}",
	copied:        "{label} copied",
	copiedShort:   "Copied",
	copyFailed:    "Could not copy; select the text and copy it manually.",
	expiresIn:     "Code expires in",
	expiresSpoken: "The payment code expires in {time}",
	minute:        "minute", minutes: "minutes",
	second: "second", seconds: "seconds",

	waiting:   "Waiting for payment…",
	pending:   "Processing payment…",
	succeeded: "Payment successful",
	failed:    "Payment failed",
	expired:   "This payment has expired",
	canceled:  "This payment was canceled",

	succeededHint: "Thank you. The agency has received your payment.",
	failedHint:    "The transaction did not go through. You were not charged, or the money will be returned.",
	expiredHint:   "Please start a new payment from the service page.",
	canceledHint:  "Go back to the service page if you want to pay again.",

	redirecting: "Returning to the service…",
	returnNow:   "Return to the service",

	attemptFailed: "The payment attempt did not go through. Choose a method to try again.",

	loadError:    "Could not load the payment.",
	networkError: "Network error. Check your connection and try again.",
	retry:        "Try again",
	qrMismatch:   "The QR code received does not match this payment, so it is not shown. Do not transfer money; please contact the agency.",
	badPayload:   "Could not create a QR code for this method.",

	openApp: "Open {name}",
	payURL:  "Open the payment page",
}

// pickLang returns the strings for a language tag such as "vi", "en" or
// "en-US"; Vietnamese is the default.
func pickLang(tag string) *lang {
	if len(tag) >= 2 && tag[0]|0x20 == 'e' && tag[1]|0x20 == 'n' && (len(tag) == 2 || tag[2] == '-' || tag[2] == '_') {
		return &en
	}
	return &vi
}

// fill replaces each "{key}" in template t with val. (strings.Replace
// would do, but this keeps the wasm smaller.)
func fill(t, key, val string) string {
	k := "{" + key + "}"
	out := ""
	for {
		i := strings.Index(t, k)
		if i < 0 {
			return out + t
		}
		out += t[:i] + val
		t = t[i+len(k):]
	}
}

// methodName is the display name of a payment method.
func (l *lang) methodName(m string) string {
	switch m {
	case methodBankQR:
		return l.methodBank
	case methodMoMo:
		return l.methodMoMo
	case methodZaloPay:
		return l.methodZaloPay
	case methodVNPay:
		return l.methodVNPay
	}
	return m
}

// appName is the name of the app a wallet method opens.
func appName(m string) string {
	switch m {
	case methodMoMo:
		return "MoMo"
	case methodZaloPay:
		return "ZaloPay"
	case methodVNPay:
		return "VNPAY"
	}
	return m
}

// unit picks the singular or plural word for n.
func unit(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
