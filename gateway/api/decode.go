package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/problem"
)

// readJSON strictly decodes the body into v: one JSON object, no unknown
// fields, no trailing data, JSON types as documented. It returns the
// canonical form of the body (keys sorted, numbers verbatim) for
// idempotency hashing, so whitespace or key order do not change a request.
func readJSON(c echo.Context, v any) ([]byte, error) {
	if err := requireJSON(c); err != nil {
		return nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, decodeProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, problem.New(http.StatusBadRequest, "malformed_json", "the body must be exactly one JSON object")
	}
	return canonical(body)
}

// requireJSON refuses bodies declared as anything but JSON.
func requireJSON(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json")
		}
	}
	return nil
}

// readBody reads the (size-limited) body, telling "too large" from "broken".
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, problem.New(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than "+MaxBody+"B")
		}
		return nil, problem.New(http.StatusBadRequest, "unreadable_body", "the request body could not be read")
	}
	return body, nil
}

func canonical(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, decodeProblem(err)
	}
	return json.Marshal(generic)
}

// decodeProblem turns encoding/json's errors into field-level problems.
func decodeProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tp *time.ParseError
	switch {
	case errors.As(err, &tp):
		p := problem.New(http.StatusUnprocessableEntity, "invalid_request", "a timestamp is not RFC 3339")
		p.Errors = []problem.FieldError{{Field: "expires_at", Code: "invalid_timestamp", Detail: "an RFC 3339 timestamp such as 2026-11-23T18:00:00+07:00"}}
		return p
	case errors.Is(err, io.EOF):
		return problem.New(http.StatusBadRequest, "malformed_json", "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syn):
		return problem.New(http.StatusBadRequest, "malformed_json", "the request body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		p := problem.New(http.StatusUnprocessableEntity, "invalid_request", "a field has the wrong JSON type")
		want := typ.Type.String()
		if strings.Contains(strings.ToLower(field), "amount") || want == "string" || want == "*string" {
			want = "string"
		}
		p.Errors = []problem.FieldError{{Field: field, Code: "wrong_type", Detail: "expected " + jsonType(want) + ", got " + typ.Value}}
		return p
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p := problem.New(http.StatusUnprocessableEntity, "invalid_request", "the body has a field this endpoint does not take")
		p.Errors = []problem.FieldError{{Field: name, Code: "unknown_field", Detail: "not a field of this request"}}
		return p
	}
	return problem.New(http.StatusBadRequest, "malformed_json", "the request body could not be decoded")
}

func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "string"), strings.Contains(goType, "Time"):
		return "a string"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"), strings.HasPrefix(goType, "*payments."):
		return "an object"
	case strings.Contains(goType, "int"):
		return "a number"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	}
	return "another type"
}
