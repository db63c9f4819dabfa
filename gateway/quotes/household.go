package quotes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/insurance"
)

// Inputs of the household_health_insurance rule: months (3, 6 or 12) and
// member_1 … member_15, each "<card code> <full name>", in the order the
// household declares them (the first pays in full, the others less).
const (
	InputMonths     = "months"
	maxHouseholdMem = 15
)

// householdLines prices a household's renewal with the base salary and
// rate in force today: one line per member, named, so the payment made
// from the quote (and its receipt) names every member.
func householdLines(r *inputs, now time.Time, look lookups) (Lines, error) {
	allowed := []string{InputMonths}
	for i := 1; i <= maxHouseholdMem; i++ {
		allowed = append(allowed, "member_"+strconv.Itoa(i))
	}
	r.only(allowed...)
	months := 0
	if v, ok := r.get(InputMonths); ok {
		if n, err := strconv.Atoi(v); err == nil && (v == "3" || v == "6" || v == "12") {
			months = n
		} else {
			r.errs.add("inputs."+InputMonths, CodeOutOfRange, "must be 3, 6 or 12")
		}
	}
	var members []insurance.Member
	for i := 1; i <= maxHouseholdMem; i++ {
		key := "member_" + strconv.Itoa(i)
		v, ok := r.m[key]
		if !ok {
			continue
		}
		if len(members) != i-1 {
			r.errs.add("inputs."+key, CodeInvalid, "members are numbered from member_1 without gaps")
		}
		card, name, _ := strings.Cut(strings.TrimSpace(v), " ")
		name = strings.TrimSpace(name)
		if !insurance.ValidHouseholdCard(card) || name == "" {
			r.errs.add("inputs."+key, CodeInvalid, "must be a household card code (GD + 13 digits), a space and the member's name")
		}
		members = append(members, insurance.Member{Card: card, Name: name})
	}
	if len(members) == 0 {
		r.errs.add("inputs.member_1", CodeRequired, "at least one member is required")
	}
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	today := DateOf(now.In(vietnam))
	p, err := look.params(Date{today.Y, today.M, 1})
	if errors.Is(err, insurance.ErrNoParameters) {
		return nil, fieldError("inputs", CodeUnsupported, "no base salary or household rate is configured for this month")
	}
	if err != nil {
		return nil, err
	}
	priced, err := insurance.Household(p, members, months)
	if errors.Is(err, insurance.ErrNoParameters) {
		return nil, fieldError("inputs", CodeUnsupported, "no household health-insurance rate is configured for this month")
	}
	if err != nil {
		return nil, err
	}
	lines := make(Lines, len(priced))
	for i, m := range priced {
		lines[i] = Line{
			Code:   fmt.Sprintf("member_%d", m.Position),
			Label:  catalog.LocalizedName{VI: fmt.Sprintf("Thành viên %d: %s (%s)", m.Position, m.Name, m.Card), EN: fmt.Sprintf("Member %d: %s (%s)", m.Position, m.Name, m.Card)},
			Amount: m.Amount,
			Basis:  fmt.Sprintf("%s × %s × %s × %d months", grouped(p.ReferenceLevel), percent(p.Rates[insurance.HouseholdRate]), percent(m.Share), months),
		}
	}
	return lines, nil
}
