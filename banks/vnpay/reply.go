package vnpay

import "encoding/json"

// Reply is the JSON body the merchant returns to an IPN. VNPAY retries
// until it gets 00 or 02, so RspCode describes whether we processed the
// notification, not whether the payment succeeded.
type Reply struct {
	RspCode string `json:"RspCode"`
	Message string `json:"Message"`
}

// The replies VNPAY understands, in the order the checks should run:
// signature, order, amount, state.
var (
	ReplyConfirmed        = Reply{"00", "Confirm Success"}
	ReplyOrderNotFound    = Reply{"01", "Order not found"}
	ReplyAlreadyConfirmed = Reply{"02", "Order already confirmed"}
	ReplyInvalidAmount    = Reply{"04", "Invalid amount"}
	ReplyInvalidSignature = Reply{"97", "Invalid signature"}
	ReplyUnknownError     = Reply{"99", "Unknown error"}
)

// JSON encodes r for the HTTP response body.
func (r Reply) JSON() []byte {
	b, _ := json.Marshal(r) // two strings cannot fail to marshal
	return b
}
