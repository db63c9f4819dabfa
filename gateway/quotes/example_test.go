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
