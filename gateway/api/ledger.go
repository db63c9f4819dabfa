package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/ledger"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/settlement"
)

func (s *Server) routesSettlement() {
	e := s.Echo
	e.GET("/v1/ledger/accounts", s.ledgerAccounts, s.requireKey)
	e.GET("/v1/ledger/entries", s.ledgerEntries, s.requireKey)
	e.GET("/v1/ledger/daily", s.ledgerDaily, s.requireKey)
	e.GET("/v1/events", s.listEvents, s.requireKey)
	e.POST("/v1/events/:id/redeliver", s.redeliverEvent, s.requireKey)
	e.GET("/v1/exceptions", s.listExceptions, s.requireKey)
}

// listExceptions shows callbacks kept for review on the portal's payments.
func (s *Server) listExceptions(c echo.Context) error {
	var errs invalid.Errors
	for name := range c.QueryParams() {
		if name != "limit" {
			errs.Add(name, "unknown_parameter", "not a parameter of this endpoint")
		}
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs.Add("limit", "out_of_range", "a whole number from 1 to 100")
		}
		limit = n
	}
	if err := errs.Err(); err != nil {
		return err
	}
	who := principal(c)
	list, err := settlement.Exceptions(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []settlement.Exception{}
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func agencyList(c echo.Context) []string {
	who := principal(c)
	list := make([]string, 0, len(who.Agencies))
	for a := range who.Agencies {
		list = append(list, a)
	}
	return list
}

func (s *Server) ledgerAccounts(c echo.Context) error {
	list, err := ledger.Accounts(c.Request().Context(), s.deps.Pool, principal(c).Livemode, agencyList(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) ledgerEntries(c echo.Context) error {
	id := c.QueryParam("payment")
	switch {
	case id == "":
		return invalid.Errors{{Name: "payment", Code: "required", Detail: "pass payment=pay_…"}}
	case !strings.HasPrefix(id, "pay_"):
		return invalid.Errors{{Name: "payment", Code: "invalid", Detail: "a payment id, pay_…"}}
	}
	who := principal(c)
	if _, err := payments.Get(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, id); err != nil {
		return err
	}
	list, err := ledger.EntriesForPayment(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) ledgerDaily(c echo.Context) error {
	list, err := ledger.DailyTotals(c.Request().Context(), s.deps.Pool, principal(c).Livemode, agencyList(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) listEvents(c echo.Context) error {
	var errs invalid.Errors
	for name := range c.QueryParams() {
		switch name {
		case "type", "payment", "limit", "starting_after":
		default:
			errs.Add(name, "unknown_parameter", "not a parameter of this endpoint")
		}
	}
	if after := c.QueryParam("starting_after"); after != "" && !strings.HasPrefix(after, "evt_") {
		errs.Add("starting_after", "invalid_cursor", "an event id, evt_…")
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs.Add("limit", "out_of_range", "a whole number from 1 to 100")
		}
		limit = n
	}
	if err := errs.Err(); err != nil {
		return err
	}
	who := principal(c)
	list, more, next, err := events.List(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode,
		optParam(c, "type"), optParam(c, "payment"), optParam(c, "starting_after"), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []events.Stored{}
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list, HasMore: more, NextStartingAfter: next})
}

func (s *Server) redeliverEvent(c echo.Context) error {
	who := principal(c)
	return s.idempotent(c, []byte(c.Param("id")), false, func(tx pgx.Tx) (int, any, error) {
		if err := s.deps.Outbox.Redeliver(c.Request().Context(), tx, who.PortalID, who.Livemode, c.Param("id")); err != nil {
			return 0, nil, err
		}
		return http.StatusAccepted, map[string]string{"id": c.Param("id"), "object": "event", "delivery": "queued"}, nil
	})
}

func optParam(c echo.Context, name string) *string {
	if v := c.QueryParam(name); v != "" {
		return &v
	}
	return nil
}
