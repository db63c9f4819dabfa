package momo

// ResultCode is MoMo's resultCode, shared by responses and IPNs.
type ResultCode int

// Codes confirmed on MoMo's result-code page.
const (
	Success            ResultCode = 0
	SystemMaintenance  ResultCode = 10
	AccessDenied       ResultCode = 11
	UnsupportedVersion ResultCode = 12
	AuthFailed         ResultCode = 13 // check partner credentials and signature
	Initiated          ResultCode = 1000
	Processing         ResultCode = 7000
	ProcessingProvider ResultCode = 7002
	AwaitingConfirm    ResultCode = 8000
	Authorized         ResultCode = 9000
)

// Codes from third-party constants, not MoMo's own page.
const (
	BadFormat           ResultCode = 20
	DuplicateRequestID  ResultCode = 40
	DuplicateOrderID    ResultCode = 41
	InsufficientFunds   ResultCode = 1001
	RejectedByIssuer    ResultCode = 1002
	Cancelled           ResultCode = 1003
	OverLimit           ResultCode = 1004
	Expired             ResultCode = 1005
	DeniedByUser        ResultCode = 1006
	UnknownError        ResultCode = 99 // [UNVERIFIED]
	ConflictingInFlight ResultCode = 43 // [UNVERIFIED]
)

// Succeeded reports a captured payment. Authorized (9000) is not success:
// with autoCapture=false the money still has to be captured, and this
// gateway never creates such payments, so a 9000 is treated as pending.
func (c ResultCode) Succeeded() bool { return c == Success }

// Final reports whether the payment can no longer change. Pending codes,
// and 99 whose outcome is unknown, mean "query again later"; every other
// code is a final failure or, for create, a rejected request.
func (c ResultCode) Final() bool {
	switch c {
	case Initiated, Processing, ProcessingProvider, AwaitingConfirm, Authorized, UnknownError:
		return false
	}
	return true
}
