package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/catalog"
)

// The catalogue is public and changes rarely: portals and CDNs may cache it.
const catalogCache = "public, max-age=300"

func (s *Server) routesCatalog() {
	s.Echo.GET("/v1/agencies", s.listAgencies)
	s.Echo.GET("/v1/services", s.listServices)
}

func (s *Server) listAgencies(c echo.Context) error {
	list, err := catalog.Agencies(c.Request().Context(), s.deps.Pool)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", catalogCache)
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) listServices(c echo.Context) error {
	list, err := catalog.Services(c.Request().Context(), s.deps.Pool)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", catalogCache)
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}
