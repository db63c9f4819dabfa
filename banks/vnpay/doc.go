// Package vnpay speaks the message and signature layer of the VNPAY
// payment gateway, API v2.1.0 (HMAC-SHA512): the pay redirect URL, IPN and
// return-URL verification, the IPN reply, and the signed bodies of the
// querydr and refund server calls. It does no I/O.
//
// Amounts cross this package as whole-đồng decimals; the ×100 wire form
// never leaves it.
package vnpay

import (
	"errors"
	"time"
)

// Version is the only API version this package signs for; 2.0.x used other
// hash types and vnp_SecureHashType, which 2.1.0 forbids.
const Version = "2.1.0"

// ICT is Vietnam time. VNPAY reads every timestamp as GMT+7 whatever the
// server's zone, so dates are formatted here, never with time.Local.
var ICT = time.FixedZone("ICT", 7*3600)

const timeLayout = "20060102150405"

// FormatTime renders t the way VNPAY expects dates (yyyyMMddHHmmss, GMT+7).
func FormatTime(t time.Time) string { return t.In(ICT).Format(timeLayout) }

// ParseTime reads a VNPAY date as GMT+7.
func ParseTime(s string) (time.Time, error) { return time.ParseInLocation(timeLayout, s, ICT) }

// Sentinels for errors.Is.
var (
	ErrSignature = errors.New("vnpay: invalid signature")
	ErrMalformed = errors.New("vnpay: malformed message")
	ErrInvalid   = errors.New("vnpay: invalid request")
)

// FieldError names the parameter at fault. Unwrap gives ErrMalformed for
// messages we received and ErrInvalid for requests we were asked to build,
// so a handler can tell "VNPAY sent junk" from "we have a bug".
type FieldError struct {
	Field  string
	Reason string
	kind   error
}

func (e *FieldError) Error() string { return "vnpay: " + e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return e.kind }

func malformed(field, reason string) error { return &FieldError{field, reason, ErrMalformed} }

func invalid(field, reason string) error { return &FieldError{field, reason, ErrInvalid} }
