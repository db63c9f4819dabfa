package quotes

import (
	"errors"
	"strings"
)

var (
	// ErrNotFound is a quote that does not exist for this portal and mode;
	// another portal's quote is indistinguishable from none, so ids leak nothing.
	ErrNotFound = errors.New("no such quote")
	// ErrExpired is a quote past its expires_at: its amount may be stale.
	ErrExpired = errors.New("quote has expired")
)

// Field error codes: stable, for clients to branch on.
const (
	CodeRequired       = "required"
	CodeUnknownField   = "unknown_field"
	CodeDuplicateField = "duplicate_field"
	CodeNotAString     = "not_a_string"
	CodeTooLong        = "too_long"
	CodeInvalid        = "invalid"
	CodeInvalidAmount  = "invalid_amount"
	CodeInvalidDate    = "invalid_date"
	CodeOutOfRange     = "out_of_range"
	CodeBeforeDueDate  = "before_due_date"
	CodeNotToday       = "not_today"
	CodeUnsupported    = "unsupported_period"
	CodeMalformedBody  = "malformed_body"
)

// FieldError says which input was wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// FieldErrors is every validation failure of one request, so a client fixes
// them all in one round trip; the HTTP edge maps it to a 422 problem.
type FieldErrors []FieldError

func (e *FieldErrors) Error() string {
	parts := make([]string, len(*e))
	for i, f := range *e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

func (e *FieldErrors) add(field, code, detail string) {
	*e = append(*e, FieldError{Field: field, Code: code, Detail: detail})
}

// err is nil when there is nothing to report, never a typed nil.
func (e *FieldErrors) err() error {
	if len(*e) == 0 {
		return nil
	}
	return e
}

func fieldError(field, code, detail string) error {
	return &FieldErrors{{Field: field, Code: code, Detail: detail}}
}
