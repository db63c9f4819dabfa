// Package zalopay speaks the message and MAC layer of ZaloPay Open API v2:
// create-order and query signing with key1, and callback verification with
// key2. It does no I/O.
//
// MACs are HMAC-SHA256 over '|'-joined fields, lowercase hex. Callback
// MACs cover the raw "data" string exactly as received; it is never
// re-serialised.
package zalopay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// ICT is Vietnam time: app_trans_id must start with today's date there,
// whatever the server's zone.
var ICT = time.FixedZone("ICT", 7*3600)

// Sentinels for errors.Is.
var (
	ErrSignature = errors.New("zalopay: invalid mac")
	ErrMalformed = errors.New("zalopay: malformed message")
	ErrInvalid   = errors.New("zalopay: invalid request")
)

// FieldError names the field at fault; Unwrap tells received junk
// (ErrMalformed) from a request we refused to build (ErrInvalid).
type FieldError struct {
	Field  string
	Reason string
	kind   error
}

func (e *FieldError) Error() string { return "zalopay: " + e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return e.kind }

func malformed(field, reason string) error { return &FieldError{field, reason, ErrMalformed} }

func invalid(field, reason string) error { return &FieldError{field, reason, ErrInvalid} }

func mac(key string, fields ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(strings.Join(fields, "|")))
	return hex.EncodeToString(m.Sum(nil))
}

// verify compares in constant time, accepting either hex case.
func verify(key, msg, got string) bool {
	sum, err := hex.DecodeString(got)
	if err != nil || len(sum) != sha256.Size {
		return false
	}
	want, _ := hex.DecodeString(mac(key, msg))
	return hmac.Equal(sum, want)
}
