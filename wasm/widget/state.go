package main

import "strconv"

// Payment methods the gateway may offer.
const (
	methodBankQR  = "bank_qr"
	methodMoMo    = "momo"
	methodZaloPay = "zalopay"
	methodVNPay   = "vnpay"
)

// Payment statuses of the gateway API.
const (
	statusRequiresPaymentMethod = "requires_payment_method"
	statusPending               = "pending"
	statusSucceeded             = "succeeded"
	statusFailed                = "failed"
	statusExpired               = "expired"
	statusCanceled              = "canceled"
)

// payment is what GET /v1/payments/{id} returns, as far as the widget uses it.
type payment struct {
	_           [0]func() // not comparable: no generated equality code
	ID          string
	Status      string
	Amount      string // whole đồng, digits only
	Reference   string
	PaymentCode string
	ExpiresAt   string  // RFC 3339
	ExpiresMs   float64 // ExpiresAt as Unix milliseconds, 0 if unknown
	ReturnURL   string

	AgencyName    string
	BankBIN       string
	BankName      string
	AccountNumber string
	AccountName   string

	ServiceName string // in the widget's language
	Methods     []string
}

// beneficiary is the account a bank transfer goes to.
type beneficiary struct {
	_             [0]func()
	BIN           string
	BankName      string
	AccountNumber string
	AccountName   string
}

// qrResult is what POST /v1/payments/{id}/qr returns.
type qrResult struct {
	_           [0]func()
	Method      string
	Payload     string
	Deeplink    string
	PayURL      string
	Amount      string
	PaymentCode string
	Beneficiary *beneficiary // nil when the gateway sent null
}

// screen is what the widget shows.
type screen int

const (
	screenLoading screen = iota
	screenPay            // payment details, method choice, QR
	screenSucceeded
	screenFailed
	screenExpired
	screenCanceled
	screenError // the payment could not be loaded
)

// knownStatus reports whether s is a status of the API.
func knownStatus(s string) bool {
	switch s {
	case statusRequiresPaymentMethod, statusPending, statusSucceeded,
		statusFailed, statusExpired, statusCanceled:
		return true
	}
	return false
}

// isTerminal reports whether a payment in status s can no longer change.
func isTerminal(s string) bool {
	switch s {
	case statusSucceeded, statusFailed, statusExpired, statusCanceled:
		return true
	}
	return false
}

// screenFor returns the screen for a payment status. localExpired is set
// once the countdown has run out: the QR is then hidden even if the gateway
// has not yet confirmed the expiry, so nobody pays an expired code.
func screenFor(status string, localExpired bool) screen {
	switch status {
	case statusSucceeded:
		return screenSucceeded
	case statusFailed:
		return screenFailed
	case statusExpired:
		return screenExpired
	case statusCanceled:
		return screenCanceled
	}
	if localExpired {
		return screenExpired
	}
	return screenPay
}

// eventName is the DOM event raised when a payment reaches a terminal
// status, or "" for other statuses.
func eventName(status string) string {
	if isTerminal(status) {
		return "civicpay:" + status
	}
	return ""
}

// statusTracker follows the status of one payment as reported by the
// gateway (first fetch, stream, polling). Terminal statuses are final: once
// one is seen, later reports are ignored, so each widget raises at most one
// terminal DOM event.
type statusTracker struct {
	status string
}

// update records a reported status. It returns whether the status changed
// and, when it became terminal, the DOM event to raise. Unknown statuses
// are ignored.
func (t *statusTracker) update(s string) (changed bool, event string) {
	if !knownStatus(s) || s == t.status || isTerminal(t.status) {
		return false, ""
	}
	t.status = s
	return true, eventName(s)
}

// offeredMethods filters the gateway's method list down to the methods the
// widget knows, in the gateway's order, without duplicates.
func offeredMethods(ms []string) []string {
	var out []string
	for _, m := range ms {
		switch m {
		case methodBankQR, methodMoMo, methodZaloPay, methodVNPay:
		default:
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o == m
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}

// defaultMethod is the method selected first: bank transfer when offered,
// since every Vietnamese banking app scans VietQR, else the first one.
func defaultMethod(ms []string) string {
	for _, m := range ms {
		if m == methodBankQR {
			return m
		}
	}
	if len(ms) > 0 {
		return ms[0]
	}
	return ""
}

// hasPrefixFold reports whether s starts with the lower-case ASCII
// prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// isWebURL reports whether u is an absolute http(s) URL, the only kind the
// widget navigates to (return_url) or links to as a web page (pay_url).
func isWebURL(u string) bool {
	return hasPrefixFold(u, "https://") || hasPrefixFold(u, "http://")
}

// isSafeDeeplink reports whether u may be used as an app link: a URL with
// a valid scheme other than those that run code in or read into the page.
func isSafeDeeplink(u string) bool {
	i := 0
	for i < len(u) && u[i] != ':' {
		c := u[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (u[i] >= '0' && u[i] <= '9' || u[i] == '+' || u[i] == '-' || u[i] == '.')) {
			return false
		}
		i++
	}
	if i == 0 || i == len(u) {
		return false
	}
	for _, bad := range [...]string{"javascript:", "data:", "vbscript:", "blob:", "file:"} {
		if hasPrefixFold(u, bad) {
			return false
		}
	}
	return true
}

// apiError is a failed API call: a network error (status 0) or an
// application/problem+json answer.
type apiError struct {
	status int
	title  string
	detail string
	code   string
}

func (e *apiError) Error() string {
	if e.status == 0 {
		return "network error: " + e.detail
	}
	return "HTTP " + strconv.Itoa(e.status) + ": " + e.title + " " + e.detail
}

// qrState is the QR of one payment method.
type qrState struct {
	_       [0]func()
	method  string
	loading bool
	res     *qrResult
	bitmap  [][]bool
	apiErr  *apiError // the gateway could not give a payload
	bad     error     // the payload was refused (see checkQR)
}
