package vietqr

import (
	"errors"
	"strconv"
)

// Sentinels for errors.Is; the concrete types carry the detail.
var (
	ErrMalformed = errors.New("vietqr: malformed payload")
	ErrCRC       = errors.New("vietqr: CRC mismatch")
	ErrInvalid   = errors.New("vietqr: invalid field")
	ErrMismatch  = errors.New("vietqr: payload does not match payment")
)

// SyntaxError locates a TLV structure fault so a scanned code can be
// diagnosed; Offset is a byte offset into the payload.
type SyntaxError struct {
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return "vietqr: malformed payload at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// CRCError keeps both checksums: a near miss usually means a mangled
// copy-paste, a wild one a different payload.
type CRCError struct {
	Got, Want string
}

func (e *CRCError) Error() string {
	return "vietqr: CRC mismatch: payload says " + strconv.Quote(e.Got) + ", content hashes to " + e.Want
}

func (e *CRCError) Unwrap() error { return ErrCRC }

// FieldError names the Payload field that is well-formed TLV but not an
// acceptable value.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return "vietqr: invalid " + e.Field + ": " + e.Reason
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

// MismatchError is Verify's refusal; Got and Want let the widget say what
// was wrong without re-parsing.
type MismatchError struct {
	Field     string
	Got, Want string
}

func (e *MismatchError) Error() string {
	return "vietqr: " + e.Field + " is " + strconv.Quote(e.Got) + ", payment expects " + strconv.Quote(e.Want)
}

func (e *MismatchError) Unwrap() error { return ErrMismatch }
