package api

import (
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/banks/vnd"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/refunds"
)

func (s *Server) routesRefunds() {
	s.Echo.POST("/v1/payments/:id/refunds", s.createRefund, s.requireKey)
	s.Echo.GET("/v1/payments/:id/refunds", s.listRefunds, s.requireKey)
}

type refundRequest struct {
	Amount *string `json:"amount"`
	Reason *string `json:"reason"`
}

// createRefund reserves the refund and answers 201 with it pending; the
// refund.succeeded or refund.failed event follows when the provider answers.
func (s *Server) createRefund(c echo.Context) error {
	var req refundRequest
	canon, bad, err := readJSON(c, &req)
	if err != nil {
		return err
	}
	var errs invalid.Errors
	if req.Amount == nil {
		errs.Add("amount", "required", "the amount to refund, a positive whole number of đồng as a string")
	}
	if req.Reason != nil && !payments.PlainText(*req.Reason, 500) {
		errs.Add("reason", "invalid", "at most 500 characters of plain text")
	}
	if err := joinInvalid(bad, errs.Err()); err != nil {
		return err
	}
	amount, err := vnd.Parse(*req.Amount)
	if err != nil {
		return invalid.Errors{{Name: "amount", Code: "invalid_amount", Detail: "a positive whole number of đồng as a string, such as \"50000\""}}
	}
	who := principal(c)
	return s.idempotent(c, append(canon, c.Param("id")...), true, func(tx pgx.Tx) (int, any, error) {
		r, err := refunds.Create(c.Request().Context(), tx, s.deps.Outbox.River, who.PortalID, who.Livemode, c.Param("id"), amount, req.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, r, nil
	})
}

func (s *Server) listRefunds(c echo.Context) error {
	who := principal(c)
	if _, err := payments.Get(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, c.Param("id")); err != nil {
		return err
	}
	list, err := refunds.List(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []refunds.Refund{}
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}
