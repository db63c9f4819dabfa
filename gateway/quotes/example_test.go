package quotes_test

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/quotes"
)

func ExampleTaxLateInterest() {
	due, _ := quotes.ParseDate("2026-07-30")
	paid, _ := quotes.ParseDate("2026-11-23")
	lines, err := quotes.TaxLateInterest(decimal.RequireFromString("125000000"), due, paid)
	if err != nil {
		panic(err)
	}
	for _, l := range lines {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-14s %10s  %s", l.Code, l.Amount, l.Basis)))
	}
	fmt.Println("total", lines.Total())
	// Output:
	// tax_principal   125000000
	// late_interest     4312500  125,000,000 × 0.03% × 115 days
	// total 129312500
}

func ExampleSocialInsurance() {
	rate := func(fund, party, r string) quotes.Rate {
		return quotes.Rate{Fund: fund, Party: party, Rate: decimal.RequireFromString(r)}
	}
	capOf := func(fund, c string) quotes.Cap { return quotes.Cap{Fund: fund, Cap: decimal.RequireFromString(c)} }
	rates := []quotes.Rate{
		rate("social", "employer", "0.17"), rate("occupational_accident", "employer", "0.005"),
		rate("health", "employer", "0.03"), rate("unemployment", "employer", "0.01"),
		rate("social", "employee", "0.08"), rate("health", "employee", "0.015"), rate("unemployment", "employee", "0.01"),
	}
	caps := []quotes.Cap{capOf("social", "46800000"), capOf("occupational_accident", "46800000"),
		capOf("health", "46800000"), capOf("unemployment", "99200000")}
	lines, err := quotes.SocialInsurance(decimal.RequireFromString("600000000"), 10, rates, caps)
	if err != nil {
		panic(err)
	}
	for _, l := range lines {
		fmt.Printf("%-31s %9s  %s\n", l.Code, l.Amount, l.Basis)
	}
	fmt.Println("total", lines.Total())
	// Output:
	// employer_social                  79560000  468,000,000 (cap 10 × 46,800,000) × 17%
	// employer_occupational_accident    2340000  468,000,000 (cap 10 × 46,800,000) × 0.5%
	// employer_health                  14040000  468,000,000 (cap 10 × 46,800,000) × 3%
	// employer_unemployment             6000000  600,000,000 × 1%
	// employee_social                  37440000  468,000,000 (cap 10 × 46,800,000) × 8%
	// employee_health                   7020000  468,000,000 (cap 10 × 46,800,000) × 1.5%
	// employee_unemployment             6000000  600,000,000 × 1%
	// total 152400000
}
