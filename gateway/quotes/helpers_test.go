package quotes

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/insurance"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

var contributionCodes = []string{
	"employer_social", "employer_occupational_accident", "employer_health", "employer_unemployment",
	"employee_social", "employee_health", "employee_unemployment",
}

// testUnit is the one SI unit seededPayroll knows: the example of
// two employees at 100,000,000 and 5,000,000 đ in region I.
const testUnit = "siu_testUnit000000000000001"

// seededTables are the test lookups.
var seededTables = lookups{payroll: seededPayroll, params: seededParams}

func seededParams(period Date) (insurance.Params, error) {
	if period.Before(Date{2024, time.July, 1}) {
		return insurance.Params{}, insurance.ErrNoParameters
	}
	return insurance.Params{Month: insurance.MonthOf(period.Y, period.M), ReferenceLevel: dec("2340000"),
		Rates: map[string]decimal.Decimal{insurance.HouseholdRate: dec("0.045")}}, nil
}

// seededPayroll prices testUnit with the values in force from 2024-07-01
// (base salary 2,340,000; region I minimum 4,960,000); earlier months have
// no declaration.
func seededPayroll(service, unit string, period Date) (insurance.Priced, error) {
	if unit != testUnit || service != siSvc.Code {
		return insurance.Priced{}, insurance.ErrUnitNotFound
	}
	if period.Before(Date{2024, time.July, 1}) {
		return insurance.Priced{}, insurance.ErrNoDeclaration
	}
	p := insurance.Params{ReferenceLevel: dec("2340000"), MinimumWage: dec("4960000"), CapMultiple: dec("20"), CapMultipleU: dec("20"),
		Rates: map[string]decimal.Decimal{"employer_social": dec("0.17"), "employer_health": dec("0.03"), "employer_unemployment": dec("0.01"),
			"employee_social": dec("0.08"), "employee_health": dec("0.015"), "employee_unemployment": dec("0.01")}}
	from := insurance.MonthOf(2024, time.January)
	emps := []insurance.Employee{
		{SINumber: "0100000001", Name: "A", Salary: dec("100000000"), From: from},
		{SINumber: "0100000002", Name: "B", Salary: dec("5000000"), From: from},
	}
	return insurance.Price(p, dec("0.005"), emps, insurance.MonthOf(period.Y, period.M), false)
}

// fieldCodes flattens a *FieldErrors into "field=code" pairs, or fails.
func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var fe *FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not *FieldErrors", err, err)
	}
	var out []string
	for _, f := range *fe {
		out = append(out, f.Field+"="+f.Code)
	}
	return out
}

func wantFieldCodes(t *testing.T, err error, want ...string) {
	t.Helper()
	if got := fieldCodes(t, err); !slices.Equal(got, want) {
		t.Fatalf("field errors = %v, want %v", got, want)
	}
}

// amounts lists line amounts as strings, for compact comparisons.
func amounts(ls Lines) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Amount.String()
	}
	return out
}

func codes(ls Lines) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Code
	}
	return out
}
