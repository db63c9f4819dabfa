package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/problem"
)

const adminKey = "civicpay.admin"

// routesAdmin is the operator API. Every handler goes through package
// admin, which checks the key's role and writes the audit record.
func (s *Server) routesAdmin() {
	// Per-route middleware rather than a Group: a group with middleware
	// adds catch-all routes that would answer unknown paths with 401.
	g := adminRoutes{s}
	g.GET("/audit", s.adminAudit)
	g.GET("/admin_keys", s.adminListKeys)
	g.POST("/admin_keys", s.adminCreateKey)
	g.POST("/admin_keys/:id/revoke", s.adminRevokeKey)
	g.GET("/agencies", s.adminListAgencies)
	g.POST("/agencies", s.adminCreateAgency)
	g.GET("/agencies/:code", s.adminGetAgency)
	g.POST("/agencies/:code", s.adminUpdateAgency)
	g.GET("/portals", s.adminListPortals)
	g.POST("/portals", s.adminCreatePortal)
	g.GET("/portals/:id", s.adminGetPortal)
	g.POST("/portals/:id", s.adminUpdatePortal)
	g.POST("/portals/:id/deactivate", s.adminSetPortalActive(false))
	g.POST("/portals/:id/activate", s.adminSetPortalActive(true))
	g.POST("/portals/:id/keys", s.adminCreatePortalKey)
	g.POST("/keys/:id/roll", s.adminRollKey)
	g.POST("/keys/:id/revoke", s.adminRevokeAPIKey)
	s.routesAdminWebhooks(g)
	s.routesAdminCredentials(g)
}

type adminRoutes struct{ s *Server }

func (g adminRoutes) GET(path string, h echo.HandlerFunc) {
	g.s.Echo.GET("/v1/admin"+path, h, g.s.requireAdmin)
}

func (g adminRoutes) POST(path string, h echo.HandlerFunc) {
	g.s.Echo.POST("/v1/admin"+path, h, g.s.requireAdmin)
}

// requireAdmin authenticates an admin key (ak_…); portal keys are refused.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := bearer(c)
		if key == "" {
			return problem.New(http.StatusUnauthorized, "unauthenticated", "send Authorization: Bearer ak_…")
		}
		p, err := admin.Authenticate(c.Request().Context(), s.deps.Pool, key)
		if err != nil {
			return err
		}
		p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		c.Set(adminKey, p)
		return next(c)
	}
}

func adminOf(c echo.Context) admin.Principal {
	p, _ := c.Get(adminKey).(admin.Principal)
	return p
}

func (s *Server) adminAudit(c echo.Context) error {
	var errs invalid.Errors
	f := admin.Filter{}
	for name, vals := range c.QueryParams() {
		v := vals[0]
		switch name {
		case "action":
			f.Action = v
		case "object_type":
			f.ObjectType = v
		case "object_id":
			f.ObjectID = v
		case "agency":
			f.Agency = v
		case "key":
			f.KeyID = v
		case "since", "until":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs.Add(name, "invalid_timestamp", "an RFC 3339 timestamp such as 2026-11-23T18:00:00+07:00")
			} else if name == "since" {
				f.Since = t
			} else {
				f.Until = t
			}
		case "starting_after":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				errs.Add(name, "invalid_cursor", "the id of the last record of the previous page")
			}
			f.StartingAfter = n
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				errs.Add(name, "out_of_range", "a whole number from 1 to 100")
			}
			f.Limit = n
		default:
			errs.Add(name, "unknown_parameter", "not a parameter of this endpoint")
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	list, more, err := admin.Audit(c.Request().Context(), s.deps.Pool, adminOf(c), f)
	if err != nil {
		return err
	}
	var next *string
	if more {
		n := strconv.FormatInt(list[len(list)-1].ID, 10)
		next = &n
	}
	if list == nil {
		list = []admin.Entry{}
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list, HasMore: more, NextStartingAfter: next})
}

func (s *Server) adminListKeys(c echo.Context) error {
	list, err := admin.Keys(c.Request().Context(), s.deps.Pool, adminOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) adminCreateKey(c echo.Context) error {
	var in admin.NewKey
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	k, err := admin.CreateKey(c.Request().Context(), s.deps.Pool, adminOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, k)
}

func (s *Server) adminRevokeKey(c echo.Context) error {
	k, err := admin.RevokeKey(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

func (s *Server) adminListAgencies(c echo.Context) error {
	list, err := admin.Agencies(c.Request().Context(), s.deps.Pool, adminOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

func (s *Server) adminGetAgency(c echo.Context) error {
	a, err := admin.Agency(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) adminCreateAgency(c echo.Context) error {
	var in catalog.AgencyInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	a, err := admin.CreateAgency(c.Request().Context(), s.deps.Pool, adminOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) adminUpdateAgency(c echo.Context) error {
	var in catalog.AgencyInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	a, err := admin.UpdateAgency(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("code"), in)
	if err != nil {
		return err
	}
	s.keys.Forget() // an agency switched off stops being collectable at once
	return c.JSON(http.StatusOK, a)
}

func (s *Server) adminListPortals(c echo.Context) error {
	list, err := admin.Portals(c.Request().Context(), s.deps.Pool, adminOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Object: "list", Data: list})
}

// portalWithKeys is a portal and its keys (hints only).
type portalWithKeys struct {
	portals.Portal
	Keys []portals.APIKey `json:"keys"`
}

func (s *Server) adminGetPortal(c echo.Context) error {
	p, keys, err := admin.Portal(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, portalWithKeys{Portal: p, Keys: keys})
}

func (s *Server) adminCreatePortal(c echo.Context) error {
	var in portals.NewPortal
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := admin.CreatePortal(c.Request().Context(), s.deps.Pool, adminOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) adminUpdatePortal(c echo.Context) error {
	var in portals.PortalPatch
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := admin.UpdatePortal(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	s.keys.Forget() // agencies and the rate limit travel with cached keys
	return c.JSON(http.StatusOK, p)
}

func (s *Server) adminSetPortalActive(active bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := admin.SetPortalActive(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), active)
		if err != nil {
			return err
		}
		s.keys.Forget()
		return c.JSON(http.StatusOK, p)
	}
}

func (s *Server) adminCreatePortalKey(c echo.Context) error {
	var in struct {
		Livemode  bool       `json:"livemode"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	k, err := admin.CreatePortalKey(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), in.Livemode, in.ExpiresAt, s.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, k)
}

// rolled is the answer of a roll: the old key (with its new expiry) and
// the new key with its secret, shown once.
type rolled struct {
	Old portals.APIKey     `json:"old"`
	New portals.CreatedKey `json:"new"`
}

func (s *Server) adminRollKey(c echo.Context) error {
	in := struct {
		Grace *int64 `json:"grace_period_seconds"`
	}{}
	if c.Request().ContentLength != 0 {
		if err := decodeBody(c, &in); err != nil {
			return err
		}
	}
	grace := portals.DefaultGrace
	if in.Grace != nil {
		grace = time.Duration(*in.Grace) * time.Second
		if *in.Grace > int64(portals.MaxGrace/time.Second) {
			grace = portals.MaxGrace + time.Second // refused by ValidGrace, without overflowing
		}
	}
	old, fresh, err := admin.RollPortalKey(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"), grace, s.now())
	if err != nil {
		return err
	}
	s.keys.Forget() // cached entries would outlive the new expiry
	return c.JSON(http.StatusOK, rolled{Old: old, New: fresh})
}

func (s *Server) adminRevokeAPIKey(c echo.Context) error {
	k, err := admin.RevokePortalKey(c.Request().Context(), s.deps.Pool, adminOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	s.keys.Forget()
	return c.JSON(http.StatusOK, k)
}
