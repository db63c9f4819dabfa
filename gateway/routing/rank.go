package routing

import (
	"slices"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/payments"
)

// healthyRate is the recent success rate below which a provider is ranked
// after healthy ones whatever its fee: a cheap provider that fails one
// call in three costs citizens more than it saves. The rate counts only
// once it is over minCalls calls, so one unlucky call does not demote a
// provider; a provider that is down is caught sooner by its breaker.
const (
	healthyRate = 0.8
	minCalls    = 10
)

// degraded says a provider's recent calls fail too often.
func degraded(s breaker.Snapshot) bool {
	return s.RecentCalls >= minCalls && s.SuccessRate < healthyRate
}

// serves reports whether e offers method.
func serves(e Entry, method banks.Method) bool {
	ms := e.Provider.Methods()
	switch method {
	case banks.MethodAny:
		return true
	case banks.MethodAnyWallet:
		return slices.ContainsFunc(ms, isWallet)
	}
	return slices.Contains(ms, method)
}

func isWallet(m banks.Method) bool {
	return m == banks.MethodMoMo || m == banks.MethodZaloPay || m == banks.MethodVNPay
}

// eligible are the providers that may collect p by method: they offer the
// method in p's mode (live or test), accept the amount, and the agency
// accepts them. Breaker state
// is not considered here: an issued order stays payable whatever the
// breaker says now.
func (r *Router) eligible(method banks.Method, p payments.Payment, agency catalog.Agency) []Entry {
	var allowed []string
	if r.Allowed != nil {
		allowed = r.Allowed(agency.Code)
	}
	var out []Entry
	for _, e := range r.Entries {
		switch {
		case !serves(e, method), e.Live != p.Livemode:
		case len(allowed) > 0 && !slices.Contains(allowed, e.name()):
		case !e.MinAmount.IsZero() && p.Amount.LessThan(e.MinAmount):
		case !e.MaxAmount.IsZero() && p.Amount.GreaterThan(e.MaxAmount):
		default:
			out = append(out, e)
		}
	}
	return out
}

// ranked is an entry with what ranking looks at, read once.
type ranked struct {
	Entry
	tier int
	fee  decimal.Decimal
	snap breaker.Snapshot
}

// rank orders eligible providers for a new order and drops those whose
// breaker is open (calling them would fail at once). Order: healthy first
// (closed breaker, recent success rate ≥ healthyRate), then degraded, then
// half-open (probing); within a tier the lowest fee for this amount, then
// the better success rate, then configuration order.
func rank(eligible []Entry, amount decimal.Decimal) []Entry {
	var rs []ranked
	for _, e := range eligible {
		r := ranked{Entry: e, fee: e.Fee.For(amount), snap: snapshot(e)}
		if r.snap.State == "open" {
			continue
		}
		switch {
		case r.snap.State == "half-open":
			r.tier = 2
		case degraded(r.snap):
			r.tier = 1
		}
		rs = append(rs, r)
	}
	slices.SortStableFunc(rs, compare)
	out := make([]Entry, len(rs))
	for i, r := range rs {
		out[i] = r.Entry
	}
	return out
}

func compare(a, b ranked) int {
	if a.tier != b.tier {
		return a.tier - b.tier
	}
	if c := a.fee.Cmp(b.fee); c != 0 {
		return c
	}
	switch {
	case a.snap.SuccessRate > b.snap.SuccessRate:
		return -1
	case a.snap.SuccessRate < b.snap.SuccessRate:
		return 1
	}
	return 0
}

// snapshot reads a provider's breaker and starts a probe when it is
// half-open, so a recovered provider is closed again by probes rather
// than by citizens' payments.
func snapshot(e Entry) breaker.Snapshot {
	if e.Breaker == nil {
		return breaker.Snapshot{Provider: e.name(), State: "closed", SuccessRate: 1}
	}
	e.Breaker.MaybeProbe()
	return e.Breaker.Snapshot()
}
