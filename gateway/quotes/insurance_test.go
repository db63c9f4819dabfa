package quotes

import (
	"errors"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

var contributionCodes = []string{
	"employer_social", "employer_occupational_accident", "employer_health", "employer_unemployment",
	"employee_social", "employee_health", "employee_unemployment",
}

func TestSocialInsurance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fund       string
		employees  int
		region     int
		amounts    []string
		total      string
		firstBasis string
	}{
		// No cap binds (46.8M × 10 = 468M > 250M; 99.2M × 10 > 250M): 32% of 250M.
		{"spec example", "250000000", 10, 1,
			[]string{"42500000", "1250000", "7500000", "2500000", "20000000", "3750000", "2500000"}, "80000000",
			"250,000,000 × 17%"},
		// SI/OA/HI base capped at 10 × 46.8M = 468M; UI base 600M < 10 × 69M.
		// 468M × 30% = 140.4M, 600M × 2% = 12M.
		{"SI and HI capped, UI not", "600000000", 10, 4,
			[]string{"79560000", "2340000", "14040000", "6000000", "37440000", "7020000", "6000000"}, "152400000",
			"468,000,000 (cap 10 × 46,800,000) × 17%"},
		// UI capped at 10 × 99.2M = 992M in region 1.
		{"every fund capped", "1000000000", 10, 1,
			[]string{"79560000", "2340000", "14040000", "9920000", "37440000", "7020000", "9920000"}, "160240000", ""},
		// Exactly at the cap: nothing to cap, 32% of 468M.
		{"at the cap", "468000000", 10, 1,
			[]string{"79560000", "2340000", "14040000", "4680000", "37440000", "7020000", "4680000"}, "149760000",
			"468,000,000 × 17%"},
		// Each line rounds on its own (209,876.39; 6,172.835; 37,037.01; 12,345.67;
		// 98,765.36; 18,518.505; 12,345.67): their sum 395,062 is the total,
		// one đồng above round(1,234,567 × 32%) = 395,061.
		{"lines rounded separately", "1234567", 1, 1,
			[]string{"209876", "6173", "37037", "12346", "98765", "18519", "12346"}, "395062", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines, err := SocialInsurance(dec(tt.fund), tt.employees, seededRates(), seededCaps(tt.region))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(codes(lines), contributionCodes) {
				t.Fatalf("codes = %v", codes(lines))
			}
			if got := amounts(lines); !slices.Equal(got, tt.amounts) {
				t.Fatalf("amounts = %v, want %v", got, tt.amounts)
			}
			if got := lines.Total().String(); got != tt.total {
				t.Fatalf("total = %s, want %s", got, tt.total)
			}
			if tt.firstBasis != "" && lines[0].Basis != tt.firstBasis {
				t.Fatalf("basis = %q, want %q", lines[0].Basis, tt.firstBasis)
			}
		})
	}
}

func TestSeededRatesTotal32Percent(t *testing.T) {
	t.Parallel()
	employer, employee := decimal.Zero, decimal.Zero
	for _, r := range seededRates() {
		if r.Party == PartyEmployer {
			employer = employer.Add(r.Rate)
		} else {
			employee = employee.Add(r.Rate)
		}
	}
	if employer.String() != "0.215" || employee.String() != "0.105" {
		t.Fatalf("employer %s, employee %s; want 0.215 and 0.105", employer, employee)
	}
}

func TestSocialInsuranceRejects(t *testing.T) {
	t.Parallel()
	t.Run("payroll", func(t *testing.T) {
		t.Parallel()
		_, err := SocialInsurance(dec("0"), 0, seededRates(), seededCaps(1))
		wantFieldCodes(t, err, "inputs.salary_fund=invalid_amount", "inputs.employees=out_of_range")
		_, err = SocialInsurance(dec("100.5"), MaxEmployees+1, seededRates(), seededCaps(1))
		wantFieldCodes(t, err, "inputs.salary_fund=invalid_amount", "inputs.employees=out_of_range")
	})
	incomplete := map[string]struct {
		rates []Rate
		caps  []Cap
	}{
		"no rates":       {nil, seededCaps(1)},
		"a rate missing": {seededRates()[1:], seededCaps(1)},
		"no caps":        {seededRates(), nil},
		"UI cap missing": {seededRates(), seededCaps(1)[:3]},
	}
	for name, tt := range incomplete {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := SocialInsurance(dec("1000000"), 1, tt.rates, tt.caps); !errors.Is(err, errIncomplete) {
				t.Fatalf("err = %v, want errIncomplete", err)
			}
		})
	}
	bad := map[string]struct {
		rates []Rate
		caps  []Cap
	}{
		"duplicate rate":   {append(seededRates(), seededRates()[0]), seededCaps(1)},
		"employee OA rate": {append(seededRates(), Rate{Fund: FundOccupationalAccident, Party: PartyEmployee, Rate: dec("0.001")}), seededCaps(1)},
		"rate of 100%":     {append(seededRates()[1:], Rate{Fund: FundSocial, Party: PartyEmployer, Rate: dec("1")}), seededCaps(1)},
		"negative rate":    {append(seededRates()[1:], Rate{Fund: FundSocial, Party: PartyEmployer, Rate: dec("-0.1")}), seededCaps(1)},
		"duplicate cap":    {seededRates(), append(seededCaps(1), seededCaps(2)[3])},
		"unknown fund cap": {seededRates(), append(seededCaps(1), Cap{Fund: "pension", Cap: dec("1")})},
		"fractional cap":   {seededRates(), append(seededCaps(1)[:3], Cap{Fund: FundUnemployment, Cap: dec("0.5")})},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := SocialInsurance(dec("1000000"), 1, tt.rates, tt.caps)
			var fe *FieldErrors
			if err == nil || errors.As(err, &fe) || errors.Is(err, errIncomplete) {
				t.Fatalf("err = %v, want a configuration error", err)
			}
		})
	}
}

func TestPercentAndGrouped(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0.17": "17%", "0.005": "0.5%", "0.015": "1.5%", "0.0003": "0.03%", "0": "0%", "0.123456": "12.3456%"} {
		if got := percent(dec(in)); got != want {
			t.Errorf("percent(%s) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "46800000": "46,800,000", "999999999999999": "999,999,999,999,999"} {
		if got := grouped(dec(in)); got != want {
			t.Errorf("grouped(%s) = %q, want %q", in, got, want)
		}
	}
}
