package insurance

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/internal/pgtest"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func month(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// vn and fw build a Vietnamese or foreign employee employed since 2020.
func vn(salary string) Employee {
	return Employee{SINumber: "0100000001", Name: "Nguyễn Văn A", Salary: dec(salary), From: month("2020-01")}
}

func fw(salary string) Employee {
	e := vn(salary)
	e.Foreign = true
	return e
}

func amounts(p Priced) []string {
	out := make([]string, len(p.Lines))
	for i, l := range p.Lines {
		out[i] = l.Amount.String()
	}
	return out
}

// TestPricePayrolls prices payrolls with the values the migration seeds,
// against amounts computed by hand. Line order: employer social 17%, OA,
// health 3%, UI 1%; employee social 8%, health 1.5%, UI 1%.
func TestPricePayrolls(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	tests := []struct {
		name    string
		month   string
		region  int
		oa      string
		emps    []Employee
		amounts []string
		total   string
	}{
		// The example: SI/OA/HI base 46.8M + 5M = 51.8M (not the
		// 93.6M the fund-wide cap gave); UI base 99.2M + 5M = 104.2M.
		{"one above the SI cap, one below", "2024-11", 1, "0.005", []Employee{vn("100000000"), vn("5000000")},
			[]string{"8806000", "259000", "1554000", "1042000", "4144000", "777000", "1042000"}, "17624000"},
		// Region IV, reduced OA 0.3%: the foreigner is capped at 46.8M and pays
		// no UI; the Vietnamese earns exactly the floor 3.45M. SI base 50.25M.
		{"foreigner above cap, Vietnamese at the floor", "2024-11", 4, "0.003", []Employee{fw("50000000"), vn("3450000")},
			[]string{"8542500", "150750", "1507500", "34500", "4020000", "753750", "34500"}, "15043500"},
		// One đồng above the UI cap: SI base 46.8M, UI base 99.2M.
		{"every cap binds", "2024-11", 1, "0.005", []Employee{vn("99200001")},
			[]string{"7956000", "234000", "1404000", "992000", "3744000", "702000", "992000"}, "16024000"},
		// 2 × 5,000,033 = 10,000,066 exact, rounded once per line: employee
		// health 150,000.99 → 150,001 (per-employee rounding would give
		// 2 × 75,000 = 150,000); employer social 1,700,011.22 → 1,700,011.
		{"each line rounded once over employees", "2024-11", 1, "0.005", []Employee{vn("5000033"), vn("5000033")},
			[]string{"1700011", "50000", "300002", "100001", "800005", "150001", "100001"}, "3200021"},
		// June 2024: base salary 1.8M (cap 36M), region I minimum 4.68M (UI cap 93.6M).
		{"priced with June 2024 values", "2024-06", 1, "0.005", []Employee{vn("40000000")},
			[]string{"6120000", "180000", "1080000", "400000", "2880000", "540000", "400000"}, "11600000"},
		// The same salary a month later: under the new 46.8M cap.
		{"priced with July 2024 values", "2024-07", 1, "0.005", []Employee{vn("40000000")},
			[]string{"6800000", "200000", "1200000", "400000", "3200000", "600000", "400000"}, "12800000"},
		// Left in August: owes nothing for September (and the line set stays).
		{"employee who left", "2024-09", 1, "0.005", []Employee{{SINumber: "0100000002", Salary: dec("9000000"), From: month("2024-01"), To: month("2024-08")}},
			[]string{"0", "0", "0", "0", "0", "0", "0"}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := LoadParams(context.Background(), db, month(tt.month), tt.region)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Price(p, dec(tt.oa), tt.emps, month(tt.month), false)
			if err != nil {
				t.Fatal(err)
			}
			if a := amounts(got); !slices.Equal(a, tt.amounts) {
				t.Fatalf("amounts = %v, want %v", a, tt.amounts)
			}
			if got.Total().String() != tt.total {
				t.Fatalf("total = %s, want %s", got.Total(), tt.total)
			}
		})
	}
}

func TestPriceRefusesSalaryBelowMinimum(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	tests := []struct {
		month, salary string
		region        int
		refused       bool
	}{
		{"2024-11", "4409999", 2, true},  // region II floor 4,410,000
		{"2024-11", "4410000", 2, false}, // exactly the floor
		{"2024-11", "4409999", 3, false}, // region III floor 3,860,000
		{"2025-12", "5000000", 1, false}, // region I floor 4,960,000
		{"2026-01", "5000000", 1, true},  // region I floor 5,310,000 from 2026
	}
	for _, tt := range tests {
		t.Run(tt.month+"/"+tt.salary, func(t *testing.T) {
			t.Parallel()
			p, err := LoadParams(context.Background(), db, month(tt.month), tt.region)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Price(p, dec("0.005"), []Employee{vn(tt.salary)}, month(tt.month), false)
			var below *BelowMinimumError
			if errors.As(err, &below) != tt.refused {
				t.Fatalf("err = %v, refused want %v", err, tt.refused)
			}
		})
	}
}

func TestLoadParamsBeforeTables(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	if _, err := LoadParams(context.Background(), db, month("2015-12"), 1); !errors.Is(err, ErrNoParameters) {
		t.Fatalf("err = %v, want ErrNoParameters", err)
	}
}

// TestPriceInvariants checks seeded random payrolls: each line is the
// half-up rounding of the exact sum of per-employee contributions; each
// base is min(salary, cap); and the per-employee cap never charges more
// than the old fund-wide cap min(Σ salaries, n × cap).
func TestPriceInvariants(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	p := Params{ReferenceLevel: dec("2340000"), MinimumWage: dec("4960000"), CapMultiple: dec("20"), CapMultipleU: dec("20"),
		Rates: map[string]decimal.Decimal{"employer_social": dec("0.17"), "employer_health": dec("0.03"), "employer_unemployment": dec("0.01"),
			"employee_social": dec("0.08"), "employee_health": dec("0.015"), "employee_unemployment": dec("0.01")}}
	m := month("2024-11")
	for round := 0; round < 200; round++ {
		n := 1 + rng.IntN(40)
		emps := make([]Employee, n)
		fund := decimal.Zero
		for i := range emps {
			emps[i] = vn(decimal.NewFromInt(4960000 + rng.Int64N(150_000_000)).String())
			emps[i].Foreign = rng.IntN(5) == 0
			fund = fund.Add(emps[i].Salary)
		}
		got, err := Price(p, dec("0.005"), emps, m, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range got.Lines {
			sum := decimal.Zero
			for _, e := range got.Employees {
				c, ok := e.Exact[l.Code]
				if !ok {
					continue
				}
				limit := p.CapSocial()
				if l.Fund == FundUnemployment {
					limit = p.CapUnemployment()
				}
				if !e.Bases[l.Code].Equal(decimal.Min(e.Salary, limit)) {
					t.Fatalf("seed %d: base %s for salary %s, cap %s", seed, e.Bases[l.Code], e.Salary, limit)
				}
				sum = sum.Add(c)
			}
			if !l.Amount.Equal(sum.Round(0)) || l.Amount.Sub(sum).Abs().GreaterThan(dec("0.5")) {
				t.Fatalf("seed %d: line %s = %s, exact sum %s", seed, l.Code, l.Amount, sum)
			}
			if l.Fund == FundSocial && l.Party == PartyEmployer {
				old := decimal.Min(fund, p.CapSocial().Mul(decimal.NewFromInt(int64(n)))).Mul(l.Rate)
				if l.Exact.GreaterThan(old) {
					t.Fatalf("seed %d: per-employee %s above fund-wide %s", seed, l.Exact, old)
				}
			}
		}
	}
}

// TestHousehold, by hand with the 2024 base salary 2,340,000: the first
// member pays 4.5 % = 105,300 a month; the others 73,710 (70 %), 63,180
// (60 %), 52,650 (50 %), 42,120 (40 %, also the sixth).
func TestHousehold(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	p, err := LoadParams(context.Background(), db, month("2024-11"), 1)
	if err != nil {
		t.Fatal(err)
	}
	six := []Member{{"GD4797931234567", "A"}, {"GD4797931234568", "B"}, {"GD4797931234569", "C"},
		{"GD4797931234570", "D"}, {"GD4797931234571", "E"}, {"GD4797931234572", "F"}}
	tests := []struct {
		members []Member
		months  int
		want    []string
	}{
		{six, 12, []string{"1263600", "884520", "758160", "631800", "505440", "505440"}},
		{six[:2], 3, []string{"315900", "221130"}},
		{six[:1], 6, []string{"631800"}},
	}
	for _, tt := range tests {
		lines, err := Household(p, tt.members, tt.months)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(lines))
		for i, l := range lines {
			got[i] = l.Amount.String()
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%d members × %d months = %v, want %v", len(tt.members), tt.months, got, tt.want)
		}
	}
	// Rounding once on the period: a reference level of 1,000,001 gives the
	// first member 45,000.045 a month and 540,000.54 → 540,001 for 12
	// months (rounding each month would give 540,000); the second (70 %)
	// 378,000.378 → 378,000, the third (60 %) 324,000.324 → 324,000.
	q := p
	q.ReferenceLevel = dec("1000001")
	lines, _ := Household(q, six[:3], 12)
	if lines[0].Amount.String() != "540001" || lines[1].Amount.String() != "378000" || lines[2].Amount.String() != "324000" {
		t.Fatalf("rounding: %v %v %v", lines[0].Amount, lines[1].Amount, lines[2].Amount)
	}
}
