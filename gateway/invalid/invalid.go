// Package invalid collects what is wrong with a request, field by field, so
// a client learns every mistake at once instead of one per round trip.
package invalid

import "strings"

// Field is one problem with one input.
type Field struct {
	Name   string `json:"field"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Errors is a validation failure; the HTTP edge answers it with 422.
type Errors []Field

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Name + ": " + f.Detail
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Add records a problem with a field.
func (e *Errors) Add(name, code, detail string) { *e = append(*e, Field{name, code, detail}) }

// Err returns e as an error, or nil when nothing was added.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}
