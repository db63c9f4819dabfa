package vnpay

import (
	"crypto/hmac"
	"encoding/hex"
	"net/url"
	"strings"
)

// This file is VNPAY's side of the protocol, for the sandbox simulator
// (banks/sandbox), reusing this package's hashing so the simulator and
// the adapter cannot drift apart.

// VerifyParams reports whether a pay URL's (or IPN's) vnp_SecureHash
// matches its vnp_* parameters.
func VerifyParams(secret string, v url.Values) bool { return verify(secret, v, v.Get(paramHash)) }

// Verify reports whether q carries the hash VNPAY would compute.
func (q QueryRequest) Verify(secret string) bool {
	c := q
	c.Sign(secret)
	w, err1 := hex.DecodeString(c.SecureHash)
	g, err2 := hex.DecodeString(q.SecureHash)
	return err1 == nil && err2 == nil && hmac.Equal(w, g) && c.Version == q.Version && c.Command == q.Command
}

// queryResponseOrder is the field order of the querydr response hash.
var queryResponseOrder = []string{"vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
	"vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
	"vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount"}

// SignQueryResponse sets vnp_SecureHash on a querydr answer whose fields
// are given as the strings VNPAY hashes (amount already ×100).
func SignQueryResponse(secret string, f map[string]string) {
	vals := make([]string, len(queryResponseOrder))
	for i, k := range queryResponseOrder {
		vals[i] = f[k]
	}
	f[paramHash] = sign(secret, strings.Join(vals, "|"))
}
