package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/idempotency"
	"github.com/civicpay/civicpay/gateway/insurance"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/gateway/quotes"
	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/gateway/routing"
	"github.com/civicpay/civicpay/gateway/webhooks"
)

// problemRow maps one domain error to its HTTP problem.
type problemRow struct {
	err    error
	status int
	code   string
}

// problems is the one table from domain errors to HTTP problems. Domain
// packages return their sentinel (or typed) errors; only this edge knows HTTP.
var problems = []problemRow{
	{portals.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{admin.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{admin.ErrForbidden, http.StatusForbidden, "forbidden"},
	{admin.ErrKeyNotFound, http.StatusNotFound, "admin_key_not_found"},
	{portals.ErrNotFound, http.StatusNotFound, "portal_not_found"},
	{portals.ErrKeyNotFound, http.StatusNotFound, "api_key_not_found"},
	{portals.ErrKeyInactive, http.StatusConflict, "api_key_inactive"},
	{catalog.ErrAgencyExists, http.StatusConflict, "agency_exists"},
	{webhooks.ErrEndpointNotFound, http.StatusNotFound, "webhook_endpoint_not_found"},
	{admin.ErrNoMasterKey, http.StatusServiceUnavailable, "master_key_missing"},
	{payments.ErrTokenExpired, http.StatusUnauthorized, "client_token_expired"},
	{payments.ErrNotFound, http.StatusNotFound, "payment_not_found"},
	{catalog.ErrUnknownAgency, http.StatusNotFound, "agency_not_found"},
	{catalog.ErrUnknownService, http.StatusNotFound, "service_not_found"},
	{payments.ErrAgencyNotAllowed, http.StatusForbidden, "agency_not_allowed"},
	{payments.ErrAgencyNotLive, http.StatusConflict, "agency_not_live"},
	{payments.ErrAmountOutOfBounds, http.StatusUnprocessableEntity, "amount_out_of_bounds"},
	{payments.ErrAmountMismatch, http.StatusUnprocessableEntity, "amount_mismatch"},
	{payments.ErrQuoteUsed, http.StatusConflict, "quote_already_used"},
	{payments.ErrTransition, http.StatusConflict, "invalid_state_transition"},
	{payments.ErrBadCursor, http.StatusUnprocessableEntity, "invalid_cursor"},
	{idempotency.ErrKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused"},
	{quotes.ErrNotFound, http.StatusNotFound, "quote_not_found"},
	{insurance.ErrUnitNotFound, http.StatusNotFound, "si_unit_not_found"},
	{insurance.ErrUnitExists, http.StatusConflict, "si_unit_exists"},
	{insurance.ErrNoDeclaration, http.StatusUnprocessableEntity, "no_declaration"},
	{insurance.ErrNoParameters, http.StatusUnprocessableEntity, "unsupported_period"},
	{quotes.ErrExpired, http.StatusUnprocessableEntity, "quote_expired"},
	{refunds.ErrNotRefundable, http.StatusConflict, "payment_not_refundable"},
	{refunds.ErrExceedsPaid, http.StatusUnprocessableEntity, "refund_exceeds_paid"},
	{events.ErrNotFound, http.StatusNotFound, "event_not_found"},
	{routing.ErrUnknownMethod, http.StatusUnprocessableEntity, "invalid_method"},
	{routing.ErrMethodUnavailable, http.StatusUnprocessableEntity, "method_not_available"},
	{routing.ErrNotOpen, http.StatusConflict, "payment_not_open"},
	{routing.ErrUnavailable, http.StatusServiceUnavailable, "providers_unavailable"},
	{receipts.ErrNotFound, http.StatusNotFound, "receipt_not_found"},
	{pg.ErrRetry, http.StatusServiceUnavailable, "contention"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
}

// An unreachable database is an outage, not a bug: 503 with Retry-After
// tells clients and bank feeds that the same request will work shortly.
const (
	codeUnavailable = "service_unavailable"
	retryAfter      = "5"
)

// handleError writes every error as problem+json; nothing reaches the client
// as a bare 500 page.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.toProblem(err)
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	p.Instance = c.Request().URL.Path
	if p.Code == codeUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if p.Status >= 500 {
		s.deps.Log.Error("request failed", "request_id", p.RequestID, "err", err)
	}
	problem.Write(c.Response(), p)
}

func (s *Server) toProblem(err error) *problem.Problem {
	var p *problem.Problem
	if errors.As(err, &p) {
		cp := *p
		return &cp
	}
	var inv invalid.Errors
	if errors.As(err, &inv) {
		p := problem.New(http.StatusUnprocessableEntity, "invalid_request", "the request has invalid fields; see errors")
		for _, f := range inv {
			p.Errors = append(p.Errors, problem.FieldError{Field: f.Name, Code: f.Code, Detail: f.Detail})
		}
		return p
	}
	var qfe *quotes.FieldErrors
	if errors.As(err, &qfe) {
		p := problem.New(http.StatusUnprocessableEntity, "invalid_request", "the request has invalid fields; see errors")
		for _, f := range *qfe {
			p.Errors = append(p.Errors, problem.FieldError{Field: f.Field, Code: f.Code, Detail: f.Detail})
		}
		return p
	}
	for _, row := range problems {
		if errors.Is(err, row.err) {
			return problem.New(row.status, row.code, err.Error())
		}
	}
	if pg.Unavailable(err) {
		return problem.New(http.StatusServiceUnavailable, codeUnavailable, "the gateway cannot reach its database; retry after a few seconds (with the same Idempotency-Key)")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return echoProblem(he)
	}
	return problem.New(http.StatusInternalServerError, "internal_error", "the gateway could not complete the request; it is safe to retry with the same Idempotency-Key")
}

// echoProblem translates echo's own errors (unknown route, body too large, …).
func echoProblem(he *echo.HTTPError) *problem.Problem {
	switch he.Code {
	case http.StatusNotFound:
		return problem.New(he.Code, "route_not_found", "no such endpoint")
	case http.StatusMethodNotAllowed:
		return problem.New(he.Code, "method_not_allowed", "this endpoint does not take that method")
	case http.StatusRequestEntityTooLarge:
		return problem.New(he.Code, "body_too_large", "the request body is larger than "+MaxBody+"B")
	case http.StatusUnsupportedMediaType:
		return problem.New(he.Code, "unsupported_media_type", "send application/json")
	}
	msg, _ := he.Message.(string)
	if msg == "" {
		msg = http.StatusText(he.Code)
	}
	return problem.New(he.Code, "http_error", msg)
}
