package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/webhooks"
)

func (s *Server) routesAdminWebhooks(g adminRoutes) {
	g.GET("/portals/:id/webhook_endpoints", s.adminListEndpoints)
	g.POST("/portals/:id/webhook_endpoints", s.adminCreateEndpoint)
	g.POST("/webhook_endpoints/:id", s.adminUpdateEndpoint)
	g.POST("/webhook_endpoints/:id/rotate_secret", s.adminRotateSecret)
	g.POST("/webhook_endpoints/:id/test", s.adminTestEndpoint)
}

// adminTestEndpoint sends a signed webhook.test event to the endpoint now.
func (s *Server) adminTestEndpoint(c echo.Context) error {
	if _, err := admin.WebhookEndpoint(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id")); err != nil {
		return err
	}
	r, err := webhooks.TestDelivery(c.Request().Context(), s.deps.Pool, c.Param("id"), webhooks.TestClient(10*time.Second), nil, s.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) adminListEndpoints(c echo.Context) error {
	list, err := admin.WebhookEndpoints(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) adminCreateEndpoint(c echo.Context) error {
	var in webhooks.EndpointInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := admin.CreateWebhookEndpoint(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, e)
}

func (s *Server) adminUpdateEndpoint(c echo.Context) error {
	var in webhooks.EndpointInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := admin.UpdateWebhookEndpoint(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (s *Server) adminRotateSecret(c echo.Context) error {
	in := struct {
		Overlap *int64 `json:"overlap_seconds"`
	}{}
	if c.Request().ContentLength != 0 {
		if err := decodeBody(c, &in); err != nil {
			return err
		}
	}
	overlap := webhooks.DefaultOverlap
	if in.Overlap != nil {
		overlap = time.Duration(min(*in.Overlap, int64(webhooks.MaxOverlap/time.Second)+1)) * time.Second
	}
	e, err := admin.RotateWebhookSecret(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), overlap, s.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}
