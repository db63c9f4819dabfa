package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/gateway/invalid"
)

func (s *Server) routesAdminCredentials(g adminRoutes) {
	g.GET("/agencies/:code/credentials", s.adminListCredentials)
	g.POST("/agencies/:code/credentials/:mode/:provider", s.adminSetCredentials)
}

func (s *Server) adminListCredentials(c echo.Context) error {
	list, err := admin.Credentials(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) adminSetCredentials(c echo.Context) error {
	var errs invalid.Errors
	mode := c.Param("mode")
	if mode != "live" && mode != "test" {
		errs.Add("mode", "invalid_mode", "live or test")
	}
	if _, ok := credentials.Providers[c.Param("provider")]; !ok {
		errs.Add("provider", "unknown_provider", "momo, vnpay, zalopay, casso or sepay")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	var in credentials.Input
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	v, err := admin.SetCredentials(c.Request().Context(), s.deps.Pool, s.deps.Keyring, adminOf(c), c.Param("code"), mode == "live", c.Param("provider"), in)
	if err != nil {
		return err
	}
	s.keys.Forget() // a newly live agency may take live payments at once here
	return c.JSON(http.StatusOK, v)
}
