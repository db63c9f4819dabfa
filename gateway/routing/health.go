package routing

import (
	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
)

// Health is one provider as GET /v1/providers shows it.
type Health struct {
	Provider string
	Methods  []banks.Method
	// Status is up (closed breaker, recent success rate healthy), degraded
	// (closed but failing often, or half-open and probing) or down (open).
	Status  string
	Breaker breaker.Snapshot
	Fee     banks.Fee
}

// Health reports every provider, in configuration order, and starts
// probes of half-open breakers as a side effect.
func (r *Router) Health() []Health {
	out := make([]Health, len(r.Entries))
	for i, e := range r.Entries {
		s := snapshot(e)
		h := Health{Provider: e.name(), Methods: e.Provider.Methods(), Breaker: s, Fee: e.Fee, Status: "up"}
		switch {
		case s.State == "open":
			h.Status = "down"
		case s.State == "half-open" || degraded(s):
			h.Status = "degraded"
		}
		out[i] = h
	}
	return out
}

// Methods lists the concrete methods the configured providers offer, for
// the widget's choice (it asks for exactly what the citizen picked;
// any_wallet and any are for portals that let the gateway choose).
func (r *Router) Methods() []string {
	var out []string
	seen := map[banks.Method]bool{}
	for _, e := range r.Entries {
		for _, m := range e.Provider.Methods() {
			if !seen[m] {
				seen[m] = true
				out = append(out, string(m))
			}
		}
	}
	return out
}

// Provider finds a configured provider by name.
func (r *Router) Provider(name string) (banks.Provider, bool) {
	for _, e := range r.Entries {
		if e.name() == name {
			return e.Provider, true
		}
	}
	return nil, false
}
