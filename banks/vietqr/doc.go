// Package vietqr builds, parses and verifies NAPAS VietQR payloads (the
// EMVCo merchant-presented QR profile used for 24/7 interbank transfers).
//
// It is compiled into the payment widget's WebAssembly build, so it imports
// nothing beyond strconv, strings, errors and unicode/utf8: no fmt, no
// decimal, no x/text. Amounts are therefore plain digit strings here; the
// server converts with banks/vnd.
//
// Validation policy: Build rejects anything it would otherwise have to
// alter (an over-long purpose or account, a non-ASCII purpose) with a
// *FieldError, because a silently truncated payment code is a payment that
// never reconciles. Callers that want the lenient behaviour other VietQR
// libraries have call Purpose first, which strips diacritics and truncates.
package vietqr
