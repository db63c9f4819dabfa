package quotes

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/civicpay/civicpay/gateway/catalog"
)

var digitsRE = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

// FuzzParseRequest: parsing a body and pricing its inputs for every rule
// never panics; input problems are always *FieldErrors (never a bare error,
// which the edge would turn into a 500); and any quote that comes out has
// non-negative whole-đồng lines, serialized as digit strings, summing to a
// positive total. Seeds live in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(body)
		if err != nil {
			var fe *FieldErrors
			if !errors.As(err, &fe) || len(*fe) == 0 {
				t.Fatalf("ParseRequest error %v is not a non-empty *FieldErrors", err)
			}
			return
		}
		for _, svc := range []catalog.Service{fixedSvc, declaredSvc, taxSvc, siSvc, hhSvc} {
			checkPriced(t, svc, req.Inputs)
		}
	})
}

func checkPriced(t *testing.T, svc catalog.Service, in map[string]string) {
	_, lines, err := price(svc, in, testNow, seededTables)
	if err != nil {
		var fe *FieldErrors
		if !errors.As(err, &fe) || len(*fe) == 0 {
			t.Fatalf("%s: error %v is not a non-empty *FieldErrors", svc.Code, err)
		}
		return
	}
	if !lines.Total().IsPositive() {
		t.Fatalf("%s: total %s is not positive", svc.Code, lines.Total())
	}
	var wire []struct {
		Amount string `json:"amount"`
	}
	if err := json.Unmarshal(mustJSON(t, lines), &wire); err != nil || len(wire) != len(lines) {
		t.Fatalf("%s: lines do not round-trip: %v", svc.Code, err)
	}
	for i, l := range lines {
		if l.Amount.IsNegative() || !l.Amount.IsInteger() || !digitsRE.MatchString(wire[i].Amount) {
			t.Fatalf("%s: line %s amount %s (wire %q) is not whole đồng", svc.Code, l.Code, l.Amount, wire[i].Amount)
		}
	}
}
