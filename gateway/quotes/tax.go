package quotes

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

// LateInterestRate is the daily late-payment interest on overdue tax,
// 0.03% (Law on Tax Administration 38/2019/QH14; the same rate since
// 2016-07-01).
var LateInterestRate = decimal.New(3, -4)

// LateInterestSince is the first late day the single 0.03% rate covers.
// Earlier days carried 0.05%/0.07% tiers, which this rule does not model, so
// a due date that would put a late day before it is refused, not mispriced.
var LateInterestSince = Date{2016, time.July, 1}

// MaxYearsLate bounds the late period: a longer one is a typo, not a debt.
const MaxYearsLate = 20

// Line codes of the tax_late_interest rule.
const (
	LineTaxPrincipal = "tax_principal"
	LineLateInterest = "late_interest"
)

// TaxLateInterest prices overdue tax paid on paid: the principal plus
// overdue × 0.03% × days late, rounded half-up to whole đồng once, on the
// product (never per day, which would lose up to half a đồng a day).
// Days late run from the day after due through the day before paid
// (paid − due − 1, never negative). The interest line is kept even when it
// is 0 so the payer sees that none is owed rather than wondering.
// Errors are *FieldErrors naming the API inputs.
func TaxLateInterest(overdue decimal.Decimal, due, paid Date) (Lines, error) {
	if err := checkTax(overdue, due, paid); err != nil {
		return nil, err
	}
	days := LateDays(due, paid)
	interest := roundDong(overdue.Mul(LateInterestRate).Mul(decimal.NewFromInt(int64(days))))
	return Lines{
		{Code: LineTaxPrincipal, Label: catalog.LocalizedName{VI: "Tiền thuế nợ", EN: "Overdue tax"}, Amount: overdue},
		{Code: LineLateInterest, Label: catalog.LocalizedName{VI: "Tiền chậm nộp", EN: "Late-payment interest"},
			Amount: interest, Basis: fmt.Sprintf("%s × %s × %d %s", grouped(overdue), percent(LateInterestRate), days, plural(days, "day"))},
	}, nil
}

// LateDays is the number of interest-bearing days: paid − due − 1, at least 0.
func LateDays(due, paid Date) int { return max(due.DaysUntil(paid)-1, 0) }

func checkTax(overdue decimal.Decimal, due, paid Date) error {
	var errs FieldErrors
	if !isWholeAmount(overdue) {
		errs.add(inOverdue, CodeInvalidAmount, "must be a positive whole number of đồng up to "+MaxAmount.String())
	}
	if !due.Valid() {
		errs.add(inDueDate, CodeInvalidDate, "must be a calendar date YYYY-MM-DD")
	}
	if !paid.Valid() {
		errs.add(inPaymentDate, CodeInvalidDate, "must be a calendar date YYYY-MM-DD")
	}
	if due.Valid() && paid.Valid() {
		checkLatePeriod(&errs, due, paid)
	}
	return errs.err()
}

func checkLatePeriod(errs *FieldErrors, due, paid Date) {
	switch {
	case paid.Before(due):
		errs.add(inPaymentDate, CodeBeforeDueDate, "must not be before the due date "+due.String())
	case due.AddYears(MaxYearsLate).Before(paid):
		errs.add(inPaymentDate, CodeOutOfRange, fmt.Sprintf("is more than %d years after the due date", MaxYearsLate))
	}
	if due.AddDays(1).Before(LateInterestSince) {
		errs.add(inDueDate, CodeOutOfRange, "late days before "+LateInterestSince.String()+" carried other rates; not supported")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
