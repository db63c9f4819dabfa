package insurance

import (
	"fmt"
	"regexp"

	"github.com/shopspring/decimal"
)

// HouseholdMonths are the renewal periods a household may choose.
var HouseholdMonths = []int{3, 6, 12}

// householdCardRE is a household participant's health-insurance card
// code: GD, a benefit digit, a two-digit province and the 10-digit
// social-insurance number.
var householdCardRE = regexp.MustCompile(`^GD[1-5][0-9]{2}[0-9]{10}$`)

// ValidHouseholdCard reports whether s is a household (GD) card code.
func ValidHouseholdCard(s string) bool { return householdCardRE.MatchString(s) }

// Member is one household member renewing.
type Member struct {
	Card, Name string
}

// MemberLine is one member's contribution for the whole period.
type MemberLine struct {
	Member
	Position int             // 1 for the first member
	Share    decimal.Decimal // 1, 0.7, 0.6, 0.5, then 0.4 of the first member's
	Monthly  decimal.Decimal // exact: reference level × rate × share
	Amount   decimal.Decimal // Monthly × months, rounded once, half-up
}

// shares are the reductions of Decree 146/2018 Art. 7(5): the second
// member pays 70 % of the first's contribution, the third 60 %, the fourth
// 50 %, the fifth and later 40 %.
var shares = []decimal.Decimal{
	decimal.NewFromInt(1), decimal.RequireFromString("0.7"), decimal.RequireFromString("0.6"),
	decimal.RequireFromString("0.5"), decimal.RequireFromString("0.4"),
}

// Household prices a household's health-insurance renewal: the first
// member pays the household rate (4.5 %) of the reference level a month,
// each further one a share of that. A member's line is exact per month
// and rounded once, half-up, on the period's product; the total is the
// exact sum of the lines.
func Household(p Params, members []Member, months int) ([]MemberLine, error) {
	rate, ok := p.Rates[HouseholdRate]
	if !ok || !p.ReferenceLevel.IsPositive() {
		return nil, fmt.Errorf("%w: %s has no household health-insurance rate", ErrNoParameters, p.Month)
	}
	first := p.ReferenceLevel.Mul(rate)
	out := make([]MemberLine, len(members))
	for i, m := range members {
		share := shares[min(i, len(shares)-1)]
		monthly := first.Mul(share)
		out[i] = MemberLine{Member: m, Position: i + 1, Share: share, Monthly: monthly,
			Amount: RoundDong(monthly.Mul(decimal.NewFromInt(int64(months))))}
	}
	return out, nil
}
