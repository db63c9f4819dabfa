package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/gateway/receipts"
)

func (s *Server) routesReceipts() {
	e := s.Echo
	e.GET("/v1/payments/:id/receipt", s.getReceipt)
	e.GET("/v1/payments/:id/receipt.pdf", s.getReceiptPDF)
	e.GET("/v1/payments/:id/receipt.html", s.getReceiptHTML)
	e.GET("/.well-known/civicpay-receipt-keys.json", s.receiptKeys)
	e.GET("/verify/:series/:number", s.verifyReceipt)
}

// receipt reads the payment's receipt for its portal (secret key) or its
// payer (the payment's client token), like GET /v1/payments/{id}.
func (s *Server) receipt(c echo.Context) (receipts.Receipt, error) {
	ctx := c.Request().Context()
	id := c.Param("id")
	if tok := bearer(c); strings.HasPrefix(tok, "ct_") {
		p, err := payments.GetWithClientToken(ctx, s.deps.Pool, id, tok, s.now())
		if err != nil {
			return receipts.Receipt{}, err
		}
		return receipts.ForPayment(ctx, s.deps.Pool, p.PortalID, p.Livemode, p.ID, s.deps.PublicURL)
	}
	var r receipts.Receipt
	err := s.requireKey(func(c echo.Context) error {
		who := principal(c)
		var err error
		r, err = receipts.ForPayment(ctx, s.deps.Pool, who.PortalID, who.Livemode, id, s.deps.PublicURL)
		if errors.Is(err, receipts.ErrNotFound) {
			// Say whether the payment exists at all, for a clearer problem.
			if _, perr := payments.Get(ctx, s.deps.Pool, who.PortalID, who.Livemode, id); perr != nil {
				return perr
			}
		}
		return err
	})(c)
	return r, err
}

func (s *Server) getReceipt(c echo.Context) error {
	r, err := s.receipt(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.JSON(http.StatusOK, r)
}

func (s *Server) getReceiptPDF(c echo.Context) error {
	r, err := s.receipt(c)
	if err != nil {
		return err
	}
	pdf, err := receipts.PDF(r)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Disposition", `inline; filename="bien-lai-`+r.Series+`-`+r.Number+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

func (s *Server) getReceiptHTML(c echo.Context) error {
	r, err := s.receipt(c)
	if err != nil {
		return err
	}
	page, err := receipts.HTML(r)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.HTMLBlob(http.StatusOK, page)
}

// receiptKeys publishes every key that ever signed a receipt.
func (s *Server) receiptKeys(c echo.Context) error {
	if err := noParams(c); err != nil {
		return err
	}
	keys, err := receipts.Keys(c.Request().Context(), s.deps.Pool)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

// verifyReceipt is the public page a receipt's QR code opens: it checks
// the stored receipt against the published keys the way anyone could.
func (s *Server) verifyReceipt(c echo.Context) error {
	number, err := strconv.ParseInt(c.Param("number"), 10, 64)
	if err != nil || number < 1 {
		return problem.New(http.StatusNotFound, "receipt_not_found", "no receipt has this number")
	}
	ctx := c.Request().Context()
	found, err := receipts.Find(ctx, s.deps.Pool, c.Param("series"), number, c.QueryParam("agency"), s.deps.PublicURL)
	if err != nil {
		return err
	}
	keys, err := receipts.Keys(ctx, s.deps.Pool)
	if err != nil {
		return err
	}
	page, err := receipts.VerifyPage(found, keys)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(found) == 0 {
		status = http.StatusNotFound
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, page)
}
