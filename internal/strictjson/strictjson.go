// Package strictjson decodes JSON that comes from outside the gateway
// (portals' requests, providers' callbacks and answers) so that one body
// cannot mean two things. encoding/json lets the last of two equal keys
// win, and matches keys to struct fields ignoring case, so
// {"amount":"1","Amount":"9"} decodes to 9 while a signature, a log line
// or another parser may have read 1; this package refuses such bodies.
// It also reports every unknown field and wrongly typed value with its
// path (payer.age, items[2].id) instead of stopping at the first, so a
// client learns all its mistakes in one answer.
//
// Values are still decoded by encoding/json, one field at a time, so types
// with their own UnmarshalJSON and json.Number behave exactly as before.
// Only the standard library is imported.
package strictjson

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Options are the decoder's settings.
type Options struct {
	// DisallowUnknown reports object keys that match no field of the
	// target struct. Providers add fields over time, so their callbacks
	// leave it off; a portal's misspelt field must not be silently ignored.
	DisallowUnknown bool
	// UseNumber decodes numbers into interface values as json.Number, so
	// amounts and ids never pass through a float64.
	UseNumber bool
}

// Kind says what is wrong with one field.
type Kind string

// The kinds of field error; their values are the API's field codes.
const (
	KindDuplicate Kind = "duplicate_field"
	KindUnknown   Kind = "unknown_field"
	KindWrongType Kind = "wrong_type"
	KindInvalid   Kind = "invalid"
)

// FieldError is one problem at one place in the document.
type FieldError struct {
	// Path locates the value: "payer.age", "items[2].id"; "" is the whole
	// document. Keys longer than 64 bytes are cut, so a hostile key is
	// never echoed whole.
	Path string
	Kind Kind
	// Want and Got describe a KindWrongType: "a string", "number".
	Want, Got string
	// Err is what the field's own decoder said, for KindInvalid.
	Err error
}

// FieldErrors are all the problems of a document that is valid JSON; the
// target holds every value that could be decoded.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		path := f.Path
		if path == "" {
			path = "(document)"
		}
		switch f.Kind {
		case KindWrongType:
			parts[i] = path + ": expected " + f.Want + ", got " + f.Got
		case KindInvalid:
			parts[i] = path + ": " + f.Err.Error()
		default:
			parts[i] = path + ": " + string(f.Kind)
		}
	}
	return "strictjson: " + strings.Join(parts, "; ")
}

// Has reports whether any error is of kind k.
func (e FieldErrors) Has(k Kind) bool {
	for _, f := range e {
		if f.Kind == k {
			return true
		}
	}
	return false
}

const maxKey = 64

func joinKey(path, key string) string {
	if len(key) > maxKey {
		key = strings.ToValidUTF8(key[:maxKey], "") + "…"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// fold maps a key to the form encoding/json compares struct field names
// in: two keys with the same fold fill the same field.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
