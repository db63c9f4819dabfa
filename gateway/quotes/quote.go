package quotes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Rule names a quote can carry: the service's computed rule, or its amount rule.
const (
	RuleTaxLateInterest = "tax_late_interest"
	RuleSocialInsurance = "social_insurance"
	RuleHouseholdHealth = "household_health_insurance"
	RuleFixed           = string(catalog.RuleFixed)
	RulePayerDeclared   = string(catalog.RulePayerDeclared)
)

// Line codes of the fixed and payer_declared rules.
const (
	LineFee            = "fee"
	LineDeclaredAmount = "declared_amount"
)

// TTL is how long a quote's amount may be paid: long enough to pay, short
// enough that a day's interest or a rate change cannot go stale unseen.
const TTL = 30 * time.Minute

// vietnam is the zone in which "today" is decided for interest; fixed
// UTC+7 (no DST), so the host's tz database cannot move it.
var vietnam = time.FixedZone("ICT", 7*3600)

// Quote is a priced request: what the payer owes for a service, line by
// line, valid until ExpiresAt.
type Quote struct {
	ID        string            `json:"id"`
	Service   string            `json:"service"`
	Rule      string            `json:"rule"`
	Inputs    map[string]string `json:"inputs"`
	Lines     Lines             `json:"lines"`
	Total     decimal.Decimal   `json:"total"`
	Currency  string            `json:"currency"`
	ExpiresAt time.Time         `json:"expires_at"`
	CreatedAt time.Time         `json:"created_at"`
	Livemode  bool              `json:"livemode"`
}

// MarshalJSON adds "object": "quote" and writes total as a string of whole
// đồng regardless of decimal's package-level switches.
func (q Quote) MarshalJSON() ([]byte, error) {
	type plain Quote
	return json.Marshal(struct {
		ID     string `json:"id"`
		Object string `json:"object"`
		plain
		Total string `json:"total"`
	}{q.ID, "quote", plain(q), wholeString(q.Total)})
}

// CheckUsable returns ErrExpired once now has reached ExpiresAt: a payment
// must not be made for an amount that may since have changed.
func (q Quote) CheckUsable(now time.Time) error {
	if !now.Before(q.ExpiresAt) {
		return ErrExpired
	}
	return nil
}

const insertSQL = `
INSERT INTO quotes (id, portal_id, livemode, service_code, rule, inputs, lines, total, expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

const getSQL = `
SELECT id, service_code, rule, inputs, lines, total, expires_at, created_at, livemode
FROM quotes
WHERE id = $1 AND portal_id = $2 AND livemode = $3`

// Create prices req for the service it names and stores the quote, so the
// payment later charges the amount computed here, never one the client sent.
// Errors: *FieldErrors for bad input, catalog.ErrUnknownService, or
// infrastructure errors (translated by pg.Translate).
func Create(ctx context.Context, db pg.Querier, portalID string, livemode bool, req Request, now time.Time) (Quote, error) {
	if err := req.Check(); err != nil {
		return Quote{}, err
	}
	svc, err := catalog.GetService(ctx, db, req.Service)
	if err != nil {
		return Quote{}, err
	}
	rule, lines, err := price(svc, req.Inputs, now, dbLookups(ctx, db, portalID, livemode))
	if err != nil {
		return Quote{}, err
	}
	// A payment can only be made for an amount every provider can carry.
	if lines.Total().GreaterThan(MaxAmount) {
		return Quote{}, fieldError("inputs", CodeOutOfRange, "the total would exceed "+MaxAmount.String()+" đồng, more than one payment can carry")
	}
	q := newQuote(svc.Code, rule, req.Inputs, lines, livemode, now)
	body, err := json.Marshal(q.Lines)
	if err != nil {
		return Quote{}, err
	}
	if _, err := db.Exec(ctx, insertSQL, q.ID, portalID, livemode, q.Service, q.Rule, q.Inputs, body, q.Total, q.ExpiresAt, q.CreatedAt); err != nil {
		return Quote{}, pg.Translate(err)
	}
	return q, nil
}

// Get returns a quote of this portal and mode, expired or not (callers that
// pay it check CheckUsable); anything else is ErrNotFound.
func Get(ctx context.Context, db pg.Querier, portalID string, livemode bool, id string) (Quote, error) {
	if !strings.HasPrefix(id, "quo_") || len(id) > 44 {
		return Quote{}, ErrNotFound
	}
	var q Quote
	var lines []byte
	err := db.QueryRow(ctx, getSQL, id, portalID, livemode).Scan(
		&q.ID, &q.Service, &q.Rule, &q.Inputs, &lines, &q.Total, &q.ExpiresAt, &q.CreatedAt, &q.Livemode)
	if errors.Is(err, pgx.ErrNoRows) {
		return Quote{}, ErrNotFound
	}
	if err != nil {
		return Quote{}, pg.Translate(err)
	}
	if err := json.Unmarshal(lines, &q.Lines); err != nil {
		return Quote{}, fmt.Errorf("quotes: stored lines of %s: %w", id, err)
	}
	// A stored quote whose lines no longer add up must not be paid.
	if !q.Lines.Total().Equal(q.Total) {
		return Quote{}, fmt.Errorf("quotes: stored quote %s: lines sum to %s, total is %s", id, q.Lines.Total(), q.Total)
	}
	q.Currency, q.ExpiresAt, q.CreatedAt = Currency, q.ExpiresAt.UTC(), q.CreatedAt.UTC()
	return q, nil
}

func newQuote(service, rule string, in map[string]string, lines Lines, livemode bool, now time.Time) Quote {
	created := now.UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
	inputs := make(map[string]string, len(in))
	for k, v := range in {
		inputs[k] = v
	}
	if _, ok := inputs[InputPaymentDate]; rule == RuleTaxLateInterest && !ok {
		inputs[InputPaymentDate] = DateOf(now.In(vietnam)).String() // the date taxLines priced for
	}
	return Quote{
		ID: ids.Quote(), Service: service, Rule: rule, Inputs: inputs,
		Lines: lines, Total: lines.Total(), Currency: Currency,
		ExpiresAt: expiry(rule, created), CreatedAt: created, Livemode: livemode,
	}
}

// expiry is created + TTL, except that late interest is priced for one
// Vietnamese day, so its quote also ends at the next midnight (UTC+7):
// paid after it, a day's interest would be missing.
func expiry(rule string, created time.Time) time.Time {
	exp := created.Add(TTL)
	if rule == RuleTaxLateInterest {
		local := created.In(vietnam)
		midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, vietnam).UTC()
		if midnight.Before(exp) {
			exp = midnight
		}
	}
	return exp
}

// price computes a service's lines from its inputs without touching the
// database itself, so the whole path is fuzzable.
func price(svc catalog.Service, in map[string]string, now time.Time, look lookups) (string, Lines, error) {
	r := &inputs{m: in}
	var lines Lines
	var err error
	rule := ruleOf(svc)
	switch rule {
	case RuleFixed:
		lines, err = fixedLines(svc, r)
	case RulePayerDeclared:
		lines, err = declaredLines(svc, r)
	case RuleTaxLateInterest:
		lines, err = taxLines(r, now)
	case RuleSocialInsurance:
		lines, err = insuranceLines(svc, r, now, look)
	case RuleHouseholdHealth:
		lines, err = householdLines(r, now, look)
	default:
		err = fmt.Errorf("quotes: service %s has unsupported rule %q", svc.Code, rule)
	}
	if err != nil {
		return "", nil, err
	}
	return rule, lines, nil
}

// ruleOf names how a service is priced: its computed rule, or its amount rule.
func ruleOf(svc catalog.Service) string {
	if svc.AmountRule == catalog.RuleComputed {
		return svc.ComputedRule
	}
	return string(svc.AmountRule)
}

func fixedLines(svc catalog.Service, r *inputs) (Lines, error) {
	r.only()
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	if svc.FixedAmount == nil || !isWholeAmount(*svc.FixedAmount) {
		return nil, fmt.Errorf("quotes: service %s has no valid fixed amount", svc.Code)
	}
	return Lines{{Code: LineFee, Label: svc.Name, Amount: *svc.FixedAmount}}, nil
}

func declaredLines(svc catalog.Service, r *inputs) (Lines, error) {
	r.only(InputAmount)
	amount := r.amount(InputAmount)
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	if svc.MinAmount == nil || svc.MaxAmount == nil {
		return nil, fmt.Errorf("quotes: service %s has no amount bounds", svc.Code)
	}
	if amount.LessThan(*svc.MinAmount) || amount.GreaterThan(*svc.MaxAmount) {
		return nil, fieldError("inputs."+InputAmount, CodeOutOfRange,
			fmt.Sprintf("must be between %s and %s đồng", svc.MinAmount.StringFixed(0), svc.MaxAmount.StringFixed(0)))
	}
	return Lines{{Code: LineDeclaredAmount, Label: svc.Name, Amount: amount}}, nil
}

// taxLines prices interest up to the payment date the portal gives, or
// today in Vietnam when it gives none. Portals are trusted server-side
// clients (secret keys), and a tax office may quote as of a stated date;
// the quote records the date it was priced for.
func taxLines(r *inputs, now time.Time) (Lines, error) {
	r.only(InputOverdueAmount, InputDueDate, InputPaymentDate)
	if _, given := r.m[InputPaymentDate]; !given {
		withDate := make(map[string]string, len(r.m)+1)
		for k, v := range r.m {
			withDate[k] = v
		}
		withDate[InputPaymentDate] = DateOf(now.In(vietnam)).String()
		r.m = withDate
	}
	overdue, due, paid := r.amount(InputOverdueAmount), r.date(InputDueDate), r.date(InputPaymentDate)
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	return TaxLateInterest(overdue, due, paid)
}

// Store records lines another package priced (a social-insurance unit's
// balance on a day) as a quote, so a payment charges exactly their total
// through the same path as any computed service. The quote, and so the
// payment, lasts until expires (the end of the day the balance was priced
// for: interest grows daily), not TTL.
func Store(ctx context.Context, db pg.Querier, portalID string, livemode bool, service, rule string, in map[string]string, lines Lines, expires, now time.Time) (Quote, error) {
	if !lines.Total().IsPositive() || lines.Total().GreaterThan(MaxAmount) {
		return Quote{}, fmt.Errorf("quotes: total %s is not payable", lines.Total())
	}
	q := newQuote(service, rule, in, lines, livemode, now)
	if !now.Before(expires) {
		return Quote{}, fmt.Errorf("quotes: expiry %s is not after %s", expires, now)
	}
	q.ExpiresAt = expires.UTC()
	body, err := json.Marshal(q.Lines)
	if err != nil {
		return Quote{}, err
	}
	if _, err := db.Exec(ctx, insertSQL, q.ID, portalID, livemode, q.Service, q.Rule, q.Inputs, body, q.Total, q.ExpiresAt, q.CreatedAt); err != nil {
		return Quote{}, pg.Translate(err)
	}
	return q, nil
}
