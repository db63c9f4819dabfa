package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/problem"
)

// feedAliases are the bank feeds, which report transfers to the vietqr
// provider; each service is configured with its own URL.
var feedAliases = map[string]string{"casso": "vietqr", "sepay": "vietqr"}

// callback receives a provider's notification: verify, settle, and answer
// in the provider's own dialect. It never logs the body, the signature or
// a key: the body is stored raw by settlement, in the database only.
func (s *Server) callback(c echo.Context) error {
	name := c.Param("provider")
	if alias, ok := feedAliases[name]; ok {
		name = alias
	}
	p, ok := s.deps.Providers[name]
	if !ok {
		return problem.New(http.StatusNotFound, "provider_not_found", "no provider by that name is configured")
	}
	w, req := c.Response(), c.Request()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		p.WriteReply(w, banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonMalformed})
		return nil
	}
	cb, err := p.ParseCallback(req, body)
	if err != nil {
		s.refuseCallback(c, p, err)
		return nil
	}
	res, err := s.deps.Settler.Settle(req.Context(), cb)
	if err != nil {
		s.deps.Log.Error("callback could not be recorded; the provider will retry", "provider", name, "txn", cb.TxnID, "err", err)
		p.WriteReply(w, banks.Reply{Outcome: banks.OutcomeError})
		return nil
	}
	s.deps.Log.Info("callback settled", "provider", name, "txn", cb.TxnID, "payment", res.PaymentID,
		"outcome", string(res.Outcome), "reason", res.Reason, "duplicate", res.Duplicate)
	p.WriteReply(w, res.Reply())
	return nil
}

// refuseCallback answers a callback that will not be settled. Only the
// provider and the caller's address are logged: the error of a forged
// callback is the forger's text.
func (s *Server) refuseCallback(c echo.Context, p banks.Provider, err error) {
	w := c.Response()
	switch {
	case errors.Is(err, banks.ErrSignature):
		s.deps.Log.Warn("callback signature rejected", "provider", p.Name(), "remote", c.RealIP())
		p.WriteReply(w, banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonSignature})
	case errors.Is(err, banks.ErrNotPayment):
		s.deps.Log.Info("callback acknowledged: not a payment", "provider", p.Name())
		p.WriteReply(w, banks.Reply{Outcome: banks.OutcomeIgnored, Reason: banks.ReasonNotPayment})
	default:
		s.deps.Log.Warn("callback malformed", "provider", p.Name(), "remote", c.RealIP())
		p.WriteReply(w, banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonMalformed})
	}
}
