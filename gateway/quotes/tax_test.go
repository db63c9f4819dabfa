package quotes

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestTaxLateInterest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overdue   string
		due, paid string
		days      int
		interest  string
		total     string
		basis     string
	}{
		// 30 Jul → 23 Nov is 116 days apart; late days 31 Jul … 22 Nov = 115.
		// 125,000,000 × 0.0003 = 37,500 a day × 115 = 4,312,500.
		{"spec example", "125000000", "2026-07-30", "2026-11-23", 115, "4312500", "129312500", "125,000,000 × 0.03% × 115 days"},
		{"paid on the due date", "125000000", "2026-07-30", "2026-07-30", 0, "0", "125000000", "125,000,000 × 0.03% × 0 days"},
		{"paid the day after", "125000000", "2026-07-30", "2026-07-31", 0, "0", "125000000", ""},
		{"one late day", "125000000", "2026-07-30", "2026-08-01", 1, "37500", "125037500", "125,000,000 × 0.03% × 1 day"},
		// 1,000 × 0.0003 = 0.3 a day: per-day rounding would give 0; once, 0.9 → 1.
		{"rounded once, not per day", "1000", "2026-01-01", "2026-01-05", 3, "1", "1001", ""},
		// 5,000 × 0.0003 = 1.5 → 2 (half-up).
		{"exact half rounds up", "5000", "2026-01-01", "2026-01-03", 1, "2", "5002", ""},
		// 1,666 × 0.0003 = 0.4998 → 0.
		{"just below half rounds down", "1666", "2026-01-01", "2026-01-03", 1, "0", "1666", ""},
		// 28 Feb → 1 Mar 2028 spans 29 Feb: 2 days apart, 1 late day; 10,000,000 × 0.0003 = 3,000.
		{"leap day", "10000000", "2028-02-28", "2028-03-01", 1, "3000", "10003000", ""},
		// 7,777,777 × 0.0003 × 30 = 69,999.993 → 70,000.
		{"across a year end", "7777777", "2025-12-31", "2026-01-31", 30, "70000", "7847777", ""},
		// First late day is the first day of the 0.03% rate.
		{"earliest supported due date", "10000", "2016-06-30", "2016-07-02", 1, "3", "10003", ""},
		// 20 years from 2016-06-30 = 7,305 days (5 leap days) → 7,304 late days;
		// 999,999,999,999,999 × 2.1912 = 2,191,199,999,999,997.8088 → …998.
		{"largest amount, longest period", "999999999999999", "2016-06-30", "2036-06-30", 7304, "2191199999999998", "3191199999999997", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			due, paid := date(tt.due), date(tt.paid)
			if got := LateDays(due, paid); got != tt.days {
				t.Fatalf("LateDays = %d, want %d", got, tt.days)
			}
			lines, err := TaxLateInterest(dec(tt.overdue), due, paid)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(codes(lines), []string{LineTaxPrincipal, LineLateInterest}) {
				t.Fatalf("codes = %v", codes(lines))
			}
			if got := amounts(lines); !slices.Equal(got, []string{tt.overdue, tt.interest}) {
				t.Fatalf("amounts = %v, want [%s %s]", got, tt.overdue, tt.interest)
			}
			if got := lines.Total().String(); got != tt.total {
				t.Fatalf("total = %s, want %s", got, tt.total)
			}
			if tt.basis != "" && lines[1].Basis != tt.basis {
				t.Fatalf("basis = %q, want %q", lines[1].Basis, tt.basis)
			}
		})
	}
}

func TestTaxLateInterestRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overdue   decimal.Decimal
		due, paid Date
		want      []string
	}{
		{"zero", dec("0"), date("2026-07-30"), date("2026-08-30"), []string{"inputs.overdue_amount=invalid_amount"}},
		{"negative", dec("-5"), date("2026-07-30"), date("2026-08-30"), []string{"inputs.overdue_amount=invalid_amount"}},
		{"fraction", dec("1000.5"), date("2026-07-30"), date("2026-08-30"), []string{"inputs.overdue_amount=invalid_amount"}},
		{"above max", MaxAmount.Add(decimal.NewFromInt(1)), date("2026-07-30"), date("2026-08-30"), []string{"inputs.overdue_amount=invalid_amount"}},
		{"paid before due", dec("1000"), date("2026-07-30"), date("2026-07-29"), []string{"inputs.payment_date=before_due_date"}},
		{"more than 20 years late", dec("1000"), date("2016-06-30"), date("2036-07-01"), []string{"inputs.payment_date=out_of_range"}},
		{"late day before the 0.03% rate", dec("1000"), date("2016-06-29"), date("2016-07-05"), []string{"inputs.due_date=out_of_range"}},
		{"impossible date", dec("1000"), Date{2026, time.February, 30}, date("2026-03-05"), []string{"inputs.due_date=invalid_date"}},
		{"zero dates", dec("1000"), Date{}, Date{}, []string{"inputs.due_date=invalid_date", "inputs.payment_date=invalid_date"}},
		{"everything", dec("0"), Date{}, Date{2026, 13, 1}, []string{"inputs.overdue_amount=invalid_amount", "inputs.due_date=invalid_date", "inputs.payment_date=invalid_date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines, err := TaxLateInterest(tt.overdue, tt.due, tt.paid)
			if lines != nil {
				t.Fatalf("lines = %v alongside an error", lines)
			}
			wantFieldCodes(t, err, tt.want...)
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-07-30", Date{2026, time.July, 30}, true},
		{"2028-02-29", Date{2028, time.February, 29}, true},
		{"0001-01-01", Date{1, time.January, 1}, true},
		{"2026-02-29", Date{}, false},
		{"2026-7-30", Date{}, false},
		{"2026-07-30T00:00:00Z", Date{}, false},
		{" 2026-07-30", Date{}, false},
		{"30/07/2026", Date{}, false},
		{"0000-01-01", Date{}, false},
		{"２０２６-07-30", Date{}, false},
		{"", Date{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if m, err := ParseMonth("2026-11"); err != nil || m != (Date{2026, time.November, 1}) {
		t.Errorf("ParseMonth = %v, %v", m, err)
	}
	for _, bad := range []string{"2026-13", "2026-00", "2026-1", "2026-11-01", "202611"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}
