package quotes

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

// Currency is the only currency quotes are made in.
const Currency = "VND"

// MaxAmount bounds every money input (15 digits, < 10^15 đồng): far above
// any real obligation, and small enough that totals fit numeric(20,0).
var MaxAmount = decimal.RequireFromString("999999999999999")

// amountRE is the only accepted spelling of an amount input: no sign, no
// exponent, no fraction, no leading zero, ASCII digits only, so one amount
// has exactly one spelling.
var amountRE = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)

// Line is one item of a quote. Amount is whole đồng.
type Line struct {
	Code   string                `json:"code"`
	Label  catalog.LocalizedName `json:"label"`
	Amount decimal.Decimal       `json:"amount"`
	// Basis shows the payer how the amount was reached, e.g. "250,000,000 × 17%".
	Basis string `json:"basis,omitempty"`
}

// MarshalJSON writes the amount as a JSON string of whole đồng whatever
// decimal's package-level switches say (MarshalJSONWithoutQuotes,
// UseScientificNotation), so clients never parse money as a float.
func (l Line) MarshalJSON() ([]byte, error) {
	type plain Line
	return json.Marshal(struct {
		plain
		Amount string `json:"amount"`
	}{plain(l), wholeString(l.Amount)})
}

// Lines are a quote's items; their sum is the quote's total by construction.
type Lines []Line

// Total is the exact sum of the lines: no rounding happens here.
func (ls Lines) Total() decimal.Decimal {
	sum := decimal.Zero
	for _, l := range ls {
		sum = sum.Add(l.Amount)
	}
	return sum
}

// wholeString prints an integral amount in plain digits; amounts are
// integral by construction, so StringFixed(0) never actually rounds.
func wholeString(d decimal.Decimal) string { return d.StringFixed(0) }

// isWholeAmount: positive, integral and within MaxAmount.
func isWholeAmount(d decimal.Decimal) bool {
	return d.IsPositive() && d.IsInteger() && d.LessThanOrEqual(MaxAmount)
}

// parseAmount accepts only amountRE; decimal then holds it exactly (exp 0).
func parseAmount(s string) (decimal.Decimal, bool) {
	if !amountRE.MatchString(s) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// grouped prints whole đồng with thousands separators, for Basis only.
func grouped(d decimal.Decimal) string {
	s := wholeString(d)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// percent prints a rate such as 0.005 as "0.5%", for Basis only.
func percent(rate decimal.Decimal) string {
	s := rate.Shift(2).StringFixed(6)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// roundDong is the one rounding of the package: half-up to whole đồng.
// decimal.Round rounds half away from zero; it is only ever called on
// non-negative values, where that is half-up.
func roundDong(d decimal.Decimal) decimal.Decimal {
	if d.IsNegative() {
		panic(fmt.Sprintf("quotes: rounding a negative amount %s", d))
	}
	return d.Round(0)
}
