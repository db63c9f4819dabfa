package insurance

import (
	"errors"
	"testing"

	"github.com/civicpay/civicpay/gateway/invalid"
)

// FuzzParseCSV: any upload either yields employees that all pass the row
// rules, or a non-empty invalid.Errors and no employee at all (never a
// panic, never another error, which the edge would turn into a 500).
// Seeds live in testdata/fuzz/FuzzParseCSV.
func FuzzParseCSV(f *testing.F) {
	f.Add(payrollCSV(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		emps, err := ParseCSV(data)
		if err != nil {
			var errs invalid.Errors
			if !errors.As(err, &errs) || len(errs) == 0 || emps != nil {
				t.Fatalf("err %v (%T) with %d employees", err, err, len(emps))
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range emps {
			if !siNumberRE.MatchString(e.SINumber) || seen[e.SINumber] || !e.Salary.IsPositive() || !e.Salary.IsInteger() ||
				e.Allowances.IsNegative() || e.Allowances.GreaterThan(e.Salary) || e.From.IsZero() || (!e.To.IsZero() && e.To.Before(e.From)) {
				t.Fatalf("accepted a bad row: %+v", e)
			}
			seen[e.SINumber] = true
		}
	})
}

// FuzzParseJSON: the JSON form keeps the same promise as the CSV one.
// Seeds live in testdata/fuzz/FuzzParseJSON.
func FuzzParseJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		eff, emps, err := ParseJSON(data)
		if err != nil {
			var errs invalid.Errors
			if !errors.As(err, &errs) || len(errs) == 0 || emps != nil {
				t.Fatalf("err %v (%T) with %d employees", err, err, len(emps))
			}
			return
		}
		if eff.IsZero() {
			t.Fatal("accepted without effective_from")
		}
		for _, e := range emps {
			if !siNumberRE.MatchString(e.SINumber) || !e.Salary.IsPositive() || e.From.IsZero() {
				t.Fatalf("accepted a bad row: %+v", e)
			}
		}
	})
}
