package quotes

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// Input names, as the API spells them inside "inputs".
const (
	InputOverdueAmount = "overdue_amount"
	InputDueDate       = "due_date"
	InputPaymentDate   = "payment_date"
	InputPeriod        = "period"
	InputAmount        = "amount"
)

// Field paths used in FieldErrors.
const (
	inOverdue     = "inputs." + InputOverdueAmount
	inDueDate     = "inputs." + InputDueDate
	inPaymentDate = "inputs." + InputPaymentDate
	inPeriod      = "inputs." + InputPeriod
)

// Bounds on a request's shape: far above any real rule, small enough that
// a hostile body cannot make the gateway store or echo much.
const (
	maxInputs     = 16
	maxInputBytes = 64
	maxFieldName  = 64
)

var (
	serviceRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,47}$`)
)

// Request asks for a quote. Every input is a string, so amounts never pass
// through a JSON number (and a float) on their way in.
type Request struct {
	Service string            `json:"service"`
	Inputs  map[string]string `json:"inputs,omitempty"`
}

// ParseRequest reads an API body strictly: one JSON object with "service"
// and optional "inputs" of string values, no unknown or repeated keys (a
// repeated key would let two readers of one body see different amounts),
// nothing after it. Errors are *FieldErrors.
func ParseRequest(body []byte) (Request, error) {
	var req Request
	var errs FieldErrors
	if err := parseBody(body, &req, &errs); err != nil {
		return Request{}, fieldError("body", CodeMalformedBody, "must be one JSON object: "+err.Error())
	}
	req.check(&errs)
	return req, errs.err()
}

// Check validates the request's shape (not its inputs, which depend on the
// service); Create calls it, so requests built in code get the same limits.
func (r Request) Check() error {
	var errs FieldErrors
	r.check(&errs)
	return errs.err()
}

func (r Request) check(errs *FieldErrors) {
	switch {
	case r.Service == "":
		errs.add("service", CodeRequired, "is required")
	case !serviceRE.MatchString(r.Service):
		errs.add("service", CodeInvalid, "is not a service code")
	}
	if len(r.Inputs) > maxInputs {
		errs.add("inputs", CodeTooLong, fmt.Sprintf("has more than %d entries", maxInputs))
		return
	}
	for _, k := range sortedKeys(r.Inputs) {
		if len(k) > maxFieldName || len(r.Inputs[k]) > maxInputBytes {
			errs.add(fieldName("inputs."+k), CodeTooLong, fmt.Sprintf("name or value is longer than %d bytes", maxInputBytes))
		}
	}
}

func parseBody(body []byte, req *Request, errs *FieldErrors) error {
	return walkObject(body, func(key string, raw json.RawMessage) {
		switch key {
		case "service":
			s, ok := jsonString(raw)
			if !ok {
				errs.add("service", CodeNotAString, "must be a string")
			}
			req.Service = s
		case "inputs":
			req.Inputs = parseInputs(raw, errs)
		default:
			errs.add(fieldName(key), CodeUnknownField, "is not a known field")
		}
	}, errs, "", true)
}

func parseInputs(raw json.RawMessage, errs *FieldErrors) map[string]string {
	in := map[string]string{}
	err := walkObject(raw, func(key string, v json.RawMessage) {
		s, ok := jsonString(v)
		if !ok {
			errs.add(fieldName("inputs."+key), CodeNotAString, "must be a string")
			return
		}
		in[key] = s
	}, errs, "inputs.", false)
	if err != nil {
		errs.add("inputs", CodeInvalid, "must be an object of strings")
	}
	return in
}

// walkObject calls fn for each member of the JSON object in data, in key
// order. The shared strict decoder finds repeated keys at every depth, so
// the outermost call (top) reports them all and the nested calls do not
// report them again.
func walkObject(data []byte, fn func(string, json.RawMessage), errs *FieldErrors, prefix string, top bool) error {
	var m map[string]json.RawMessage
	err := strictjson.Decode(data, &m, strictjson.Options{})
	var fe strictjson.FieldErrors
	switch {
	case errors.As(err, &fe):
		for _, f := range fe {
			if f.Kind != strictjson.KindDuplicate {
				return errors.New("expected an object")
			}
			if top {
				errs.add(fieldName(prefix+f.Path), CodeDuplicateField, "appears more than once")
			}
		}
	case err != nil:
		return err
	case m == nil:
		return errors.New("expected an object")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fn(k, m[k])
	}
	return nil
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// fieldName bounds a client-chosen name before it is echoed in an error.
func fieldName(s string) string {
	if len(s) > maxFieldName+len("inputs.") {
		s = strings.ToValidUTF8(s[:maxFieldName+len("inputs.")], "") + "…"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// inputs reads one rule's inputs, collecting every problem at once.
type inputs struct {
	m    map[string]string
	errs FieldErrors
}

func (r *inputs) get(key string) (string, bool) {
	v, ok := r.m[key]
	if !ok {
		r.errs.add("inputs."+key, CodeRequired, "is required")
	}
	return v, ok
}

func (r *inputs) amount(key string) decimal.Decimal {
	v, ok := r.get(key)
	if !ok {
		return decimal.Zero
	}
	d, ok := parseAmount(v)
	if !ok {
		r.errs.add("inputs."+key, CodeInvalidAmount, "must be whole đồng as digits, 1 to 15 of them, no leading zero")
	}
	return d
}

func (r *inputs) date(key string) Date {
	v, ok := r.get(key)
	if !ok {
		return Date{}
	}
	d, err := ParseDate(v)
	if err != nil {
		r.errs.add("inputs."+key, CodeInvalidDate, "must be a calendar date YYYY-MM-DD")
	}
	return d
}

func (r *inputs) month(key string) Date {
	v, ok := r.get(key)
	if !ok {
		return Date{}
	}
	d, err := ParseMonth(v)
	if err != nil {
		r.errs.add("inputs."+key, CodeInvalidDate, "must be a month YYYY-MM")
	}
	return d
}

// only rejects inputs the rule does not read: a misspelt key must not be
// silently ignored while the amount is computed without it.
func (r *inputs) only(allowed ...string) {
	for _, k := range sortedKeys(r.m) {
		if !contains(allowed, k) {
			r.errs.add(fieldName("inputs."+k), CodeUnknownField, "is not an input of this service")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
