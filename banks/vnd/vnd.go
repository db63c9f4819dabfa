// Package vnd converts whole-đồng amounts at provider edges.
//
// VND has no minor unit, and every provider we speak to sends amounts as a
// bare integer (JSON number, query parameter or string). Parsing is strict on
// purpose: a fraction, an exponent, a sign or a leading zero in a payment
// amount means the message is not what we think it is, and guessing would
// credit the wrong sum.
package vnd

import (
	"errors"
	"strconv"

	"github.com/shopspring/decimal"
)

// MaxDigits bounds amounts well above any real payment (10^15 đồng) while
// keeping every valid amount inside int64.
const MaxDigits = 15

// ErrAmount is wrapped by every error this package returns.
var ErrAmount = errors.New("vnd: invalid amount")

// Error reports the offending input, truncated so a hostile body cannot
// blow up logs.
type Error struct {
	Input  string
	Reason string
}

func (e *Error) Error() string {
	in := e.Input
	if len(in) > 32 {
		in = in[:32] + "…"
	}
	return "vnd: invalid amount " + strconv.Quote(in) + ": " + e.Reason
}

func (e *Error) Unwrap() error { return ErrAmount }

// Parse accepts only [1-9][0-9]{0,14}: a positive whole number of đồng.
func Parse(s string) (decimal.Decimal, error) {
	if err := check(s, false); err != nil {
		return decimal.Decimal{}, err
	}
	return decimal.RequireFromString(s), nil
}

// ParseNonNegative is Parse that also accepts "0", for fee and discount
// fields that are legitimately zero. It is not for payment amounts.
func ParseNonNegative(s string) (decimal.Decimal, error) {
	if err := check(s, true); err != nil {
		return decimal.Decimal{}, err
	}
	return decimal.RequireFromString(s), nil
}

func check(s string, zeroOK bool) error {
	switch {
	case s == "":
		return &Error{s, "empty"}
	case len(s) > MaxDigits:
		return &Error{s, "too many digits"}
	case s == "0" && zeroOK:
		return nil
	case s[0] == '0':
		return &Error{s, "zero or leading zero"}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return &Error{s, "not a plain decimal integer"}
		}
	}
	return nil
}

// Check reports whether d is a positive whole amount of at most MaxDigits
// digits: the only shape we ever send to a provider.
func Check(d decimal.Decimal) error {
	s := d.String()
	if !d.IsInteger() {
		return &Error{s, "fraction of a đồng"}
	}
	return check(s, false)
}

// Format renders d as providers expect it: plain digits, no separators.
func Format(d decimal.Decimal) (string, error) {
	if err := Check(d); err != nil {
		return "", err
	}
	return d.String(), nil
}

// Int64 is Format for providers whose JSON wants a number.
func Int64(d decimal.Decimal) (int64, error) {
	if err := Check(d); err != nil {
		return 0, err
	}
	return d.IntPart(), nil
}
