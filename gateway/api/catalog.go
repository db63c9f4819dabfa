package api

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/invalid"
)

// The catalogue is public and changes rarely: portals and CDNs may cache it.
const catalogCache = "public, max-age=300"

func (s *Server) routesCatalog() {
	s.Echo.GET("/v1/agencies", s.listAgencies)
	s.Echo.GET("/v1/services", s.listServices)
}

func (s *Server) listAgencies(c echo.Context) error {
	if err := noParams(c); err != nil {
		return err
	}
	list, err := catalog.Agencies(c.Request().Context(), s.deps.Pool)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", catalogCache)
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) listServices(c echo.Context) error {
	if err := noParams(c); err != nil {
		return err
	}
	list, err := catalog.Services(c.Request().Context(), s.deps.Pool)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", catalogCache)
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

// noParams refuses query parameters on lists that take none but ?pretty:
// a portal filtering with ?agency= must not silently get everything, as a
// misspelt JSON field is not silently ignored.
func noParams(c echo.Context) error {
	var errs invalid.Errors
	for name := range c.QueryParams() {
		if name != "pretty" {
			errs.Add(name, "unknown_parameter", "this list takes no parameters")
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Name < errs[j].Name })
	return errs.Err()
}
