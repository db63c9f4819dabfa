// Package momo speaks the message and signature layer of the MoMo
// All-in-One v2 API (captureWallet): create, query and refund request
// signing, and IPN verification. It does no I/O.
//
// Every MoMo signature is HMAC-SHA256(secretKey) over "k=v" pairs sorted
// by key and joined with '&', values NOT URL-encoded, with the merchant's
// accessKey as a pair even though v2 bodies do not carry it.
package momo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// Request types and the create limits that apply to captureWallet.
const (
	CaptureWallet = "captureWallet"
	MinAmount     = 1_000      // đồng, captureWallet
	MaxAmount     = 50_000_000 // đồng, captureWallet; other methods differ
)

// IPNStatus is what MoMo expects back from an IPN handler: 204 No Content,
// within 15 seconds.
const IPNStatus = 204

// Sentinels for errors.Is.
var (
	ErrSignature = errors.New("momo: invalid signature")
	ErrMalformed = errors.New("momo: malformed message")
	ErrInvalid   = errors.New("momo: invalid request")
)

// FieldError names the field at fault; Unwrap tells received junk
// (ErrMalformed) from a request we refused to build (ErrInvalid).
type FieldError struct {
	Field  string
	Reason string
	kind   error
}

func (e *FieldError) Error() string { return "momo: " + e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return e.kind }

func malformed(field, reason string) error { return &FieldError{field, reason, ErrMalformed} }

func invalid(field, reason string) error { return &FieldError{field, reason, ErrInvalid} }

// pair is one k=v of a raw signature string; callers list them already in
// a→z order, which is how MoMo documents each string.
type pair struct{ k, v string }

func raw(pairs ...pair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func sign(secretKey, msg string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// verify compares in constant time, accepting either hex case.
func verify(secretKey, msg, got string) bool {
	mac, err := hex.DecodeString(got)
	if err != nil || len(mac) != sha256.Size {
		return false
	}
	want, _ := hex.DecodeString(sign(secretKey, msg))
	return hmac.Equal(mac, want)
}
