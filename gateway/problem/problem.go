// Package problem is the RFC 9457 "problem details" body every error of the
// API is written as, with a stable machine-readable code that clients branch
// on (the title and detail are for humans and may change).
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the media type of a problem body.
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI; the fragment is the code.
const TypeBase = "https://civicpay.dev/problems#"

// Problem is one error, as sent to the client.
type Problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	Code       string       `json:"code"`
	Errors     []FieldError `json:"errors,omitempty"`
	RequestID  string       `json:"request_id,omitempty"`
	RetryAfter int          `json:"-"`
}

// FieldError says which part of the request was wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// New makes a problem with the standard title for status.
func New(status int, code, detail string) *Problem {
	return &Problem{Type: TypeBase + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// Write sends p; it never fails in a way the client could see as a 500.
func Write(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(p)
	_, _ = w.Write(b)
}
