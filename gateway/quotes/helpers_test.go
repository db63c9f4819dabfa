package quotes

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// seededRates and seededCaps mirror migration 001 (in force from 2024-07-01).
func seededRates() []Rate {
	from := Date{2016, time.June, 1}
	return []Rate{
		{FundSocial, PartyEmployer, dec("0.17"), from},
		{FundOccupationalAccident, PartyEmployer, dec("0.005"), from},
		{FundHealth, PartyEmployer, dec("0.03"), from},
		{FundUnemployment, PartyEmployer, dec("0.01"), from},
		{FundSocial, PartyEmployee, dec("0.08"), from},
		{FundHealth, PartyEmployee, dec("0.015"), from},
		{FundUnemployment, PartyEmployee, dec("0.01"), from},
	}
}

var regionalUICap = map[int]string{1: "99200000", 2: "88200000", 3: "77200000", 4: "69000000"}

func seededCaps(region int) []Cap {
	from := Date{2024, time.July, 1}
	return []Cap{
		{FundSocial, 0, dec("46800000"), from},
		{FundOccupationalAccident, 0, dec("46800000"), from},
		{FundHealth, 0, dec("46800000"), from},
		{FundUnemployment, region, dec(regionalUICap[region]), from},
	}
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
