package api

import (
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/quotes"
)

func (s *Server) routesQuotes() {
	s.Echo.POST("/v1/quotes", s.createQuote, s.requireKey)
	s.Echo.GET("/v1/quotes/:id", s.getQuote, s.requireKey)
}

// createQuote prices a service server-side; a payment made from the quote
// charges exactly its total.
func (s *Server) createQuote(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	req, err := quotes.ParseRequest(body)
	if err != nil {
		return err
	}
	canon, err := canonical(body)
	if err != nil {
		return err
	}
	who := principal(c)
	ctx := c.Request().Context()
	svc, err := catalog.GetService(ctx, s.deps.Pool, req.Service)
	if err != nil {
		return err
	}
	if !who.MayCollectFor(svc.AgencyCode) {
		return payments.ErrAgencyNotAllowed
	}
	now := s.now()
	return s.idempotent(c, canon, false, func(tx pgx.Tx) (int, any, error) {
		q, err := quotes.Create(ctx, tx, who.PortalID, who.Livemode, req, now)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, q, nil
	})
}

func (s *Server) getQuote(c echo.Context) error {
	who := principal(c)
	q, err := quotes.Get(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}
