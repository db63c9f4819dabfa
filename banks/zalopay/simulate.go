package zalopay

import (
	"crypto/hmac"
	"encoding/hex"
)

// This file is ZaloPay's side of the protocol, for the sandbox simulator
// (banks/sandbox), reusing this package's MACs so the simulator and the
// adapter cannot drift apart.

// Verify reports whether o carries the MAC ZaloPay would compute with key1.
func (o CreateOrder) Verify(key1 string) bool {
	c := o
	c.Sign(key1)
	return c.EmbedData == o.EmbedData && c.Item == o.Item && equalHex(c.MAC, o.MAC)
}

// Verify reports whether q carries the MAC ZaloPay would compute with key1.
func (q QueryRequest) Verify(key1 string) bool {
	c := q
	c.Sign(key1)
	return equalHex(c.MAC, q.MAC)
}

// SignCallback is the mac ZaloPay puts on a callback: HMAC-SHA256(key2, data).
func SignCallback(key2, data string) string { return mac(key2, data) }

func equalHex(want, got string) bool {
	w, err1 := hex.DecodeString(want)
	g, err2 := hex.DecodeString(got)
	return err1 == nil && err2 == nil && hmac.Equal(w, g)
}
