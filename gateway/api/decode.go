package api

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/internal/strictjson"
)

// readJSON strictly decodes the body into v: one JSON object, no repeated
// or unknown keys, no trailing data, JSON types as documented. A body that
// is not JSON is an error; field problems come back as bad, to be reported
// with the handler's own validation in one answer (see joinInvalid). It
// returns the canonical form of the body (keys sorted, numbers verbatim)
// for idempotency hashing, so whitespace or key order do not change a
// request, and, keys being unique, two different bodies never share it.
func readJSON(c echo.Context, v any) (canon []byte, bad invalid.Errors, err error) {
	if err := requireJSON(c); err != nil {
		return nil, nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return nil, nil, err
	}
	err = strictjson.Decode(body, v, strictjson.Options{DisallowUnknown: true})
	var fe strictjson.FieldErrors
	if errors.As(err, &fe) {
		bad = fieldProblems(fe)
	} else if err != nil {
		return nil, nil, syntaxProblem(err)
	}
	if len(bad) > 0 {
		return nil, bad, nil
	}
	canon, err = canonical(body)
	return canon, nil, err
}

// requireJSON refuses bodies declared as anything but JSON, and bodies
// declared as nothing: a client that forgot the header gets the same
// answer as one that sent the wrong one.
func requireJSON(c echo.Context) error {
	req := c.Request()
	ct := req.Header.Get(echo.HeaderContentType)
	if ct == "" && req.ContentLength == 0 {
		return nil // no body at all: the decoder says it is empty
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json")
	}
	return nil
}

// readBody reads the (size-limited) body, telling "too large" and "too
// slow" from "broken".
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooLarge):
			return nil, problem.New(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than "+MaxBody+"B")
		case errors.As(err, &ne) && ne.Timeout():
			return nil, problem.New(http.StatusRequestTimeout, "request_timeout", "the request body did not arrive within the read timeout")
		}
		return nil, problem.New(http.StatusBadRequest, "unreadable_body", "the request body could not be read")
	}
	return body, nil
}

// canonical is the body re-encoded with sorted keys; the body has passed
// strictjson, so no key is repeated.
func canonical(body []byte) ([]byte, error) {
	var generic any
	if err := strictjson.Decode(body, &generic, strictjson.Options{UseNumber: true}); err != nil {
		return nil, syntaxProblem(err)
	}
	return marshal(nil, generic)
}

// syntaxProblem answers a body that is not one JSON value.
func syntaxProblem(err error) error {
	if errors.Is(err, strictjson.ErrEmpty) {
		return problem.New(http.StatusBadRequest, "malformed_json", "the request body is empty; send a JSON object")
	}
	if errors.Is(err, strictjson.ErrTrailing) {
		return problem.New(http.StatusBadRequest, "malformed_json", "the body must be exactly one JSON object")
	}
	var fe strictjson.FieldErrors
	if errors.As(err, &fe) {
		return fieldProblems(fe)
	}
	return problem.New(http.StatusBadRequest, "malformed_json", "the request body is not valid JSON")
}

// fieldProblems turns the decoder's findings into the API's field codes.
func fieldProblems(fe strictjson.FieldErrors) invalid.Errors {
	var out invalid.Errors
	for _, f := range fe {
		name := f.Path
		if name == "" {
			name = "(body)"
		}
		switch f.Kind {
		case strictjson.KindDuplicate:
			out.Add(name, "duplicate_field", "appears more than once in its object (a field named in two cases too)")
		case strictjson.KindUnknown:
			out.Add(name, "unknown_field", "not a field of this request")
		case strictjson.KindWrongType:
			out.Add(name, "wrong_type", "expected "+f.Want+", got "+f.Got)
		default:
			var tp *time.ParseError
			if errors.As(f.Err, &tp) {
				out.Add(name, "invalid_timestamp", "an RFC 3339 timestamp such as 2026-11-23T18:00:00+07:00")
			} else {
				out.Add(name, "invalid", "not a valid value for this field")
			}
		}
	}
	return out
}

// joinInvalid reports the decoder's field problems together with the
// handler's validation, so a client learns every mistake in one answer. A
// field the decoder already refused is not reported again (a mistyped
// amount would otherwise also be "required").
func joinInvalid(bad invalid.Errors, err error) error {
	if len(bad) == 0 {
		return err
	}
	var more invalid.Errors
	if !errors.As(err, &more) {
		return bad // nothing, or not a field problem: the decoder's findings come first
	}
	seen := map[string]bool{}
	for _, f := range bad {
		seen[f.Name] = true
	}
	for _, f := range more {
		if !seen[f.Name] {
			bad = append(bad, f)
		}
	}
	return bad
}

// decodeBody is readJSON for handlers that neither key idempotency on the
// body nor add field problems of their own: the decoder's findings are the
// answer.
func decodeBody(c echo.Context, v any) error {
	_, bad, err := readJSON(c, v)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}
