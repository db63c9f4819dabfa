package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/insurance"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/gateway/quotes"
)

// MaxDeclarationBody bounds a payroll upload: 50,000 employees of about
// 100 bytes each, with room; every other request keeps MaxBody.
const MaxDeclarationBody = 8 << 20

const declarationsPath = "/v1/si-units/:id/declarations"

func (s *Server) routesInsurance() {
	e := s.Echo
	e.POST("/v1/si-units", s.createSIUnit, s.requireKey)
	e.GET("/v1/si-units/:id", s.getSIUnit, s.requireKey)
	e.POST(declarationsPath, s.createDeclaration, s.requireKey)
}

// bigBody lets payroll uploads past the global MaxBody; they get their own
// bound in createDeclaration.
func bigBody(c echo.Context) bool { return c.Path() == declarationsPath }

func (s *Server) createSIUnit(c echo.Context) error {
	var in insurance.UnitInput
	canon, err := readJSON(c, &in)
	if err != nil {
		return err
	}
	u, err := in.Check()
	if err != nil {
		return err
	}
	who := principal(c)
	ctx := c.Request().Context()
	if in.Service != "" {
		svc, err := catalog.GetService(ctx, s.deps.Pool, in.Service)
		if err != nil {
			return err
		}
		if svc.ComputedRule != quotes.RuleSocialInsurance {
			return invalid.Errors{{Name: "service", Code: "invalid", Detail: "is not a compulsory social-insurance service"}}
		}
		if !who.MayCollectFor(svc.AgencyCode) {
			return payments.ErrAgencyNotAllowed
		}
	}
	u.PortalID, u.Livemode = who.PortalID, who.Livemode
	return s.idempotent(c, canon, false, func(tx pgx.Tx) (int, any, error) {
		u, err := insurance.CreateUnit(ctx, tx, u)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, u, nil
	})
}

func (s *Server) getSIUnit(c echo.Context) error {
	who := principal(c)
	u, err := insurance.GetUnit(c.Request().Context(), s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// createDeclaration takes the payroll as text/csv (effective_from in the
// query) or as JSON, reports every bad row at once, and stores all of it or
// nothing. ?by_employee=true adds each employee's contributions.
func (s *Server) createDeclaration(c echo.Context) error {
	who := principal(c)
	ctx := c.Request().Context()
	u, err := insurance.GetUnit(ctx, s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, MaxDeclarationBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return problem.New(http.StatusRequestEntityTooLarge, "body_too_large", "a declaration is at most 8 MiB")
		}
		return problem.New(http.StatusBadRequest, "unreadable_body", "the request body could not be read")
	}
	detail := c.QueryParam("by_employee") == "true"
	var eff insurance.Month
	var emps []insurance.Employee
	prefix := "lines"
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch mt {
	case "text/csv":
		var errs invalid.Errors
		if eff, err = insurance.ParseMonth(c.QueryParam("effective_from")); err != nil {
			errs.Add("effective_from", insurance.CodeInvalidMonth, "the query parameter must be a month YYYY-MM")
		}
		emps, err = insurance.ParseCSV(body)
		var rows invalid.Errors
		if errors.As(err, &rows) {
			errs = append(errs, rows...)
		}
		if err := errs.Err(); err != nil {
			return err
		}
	case "application/json", "":
		prefix = "employees"
		if eff, emps, err = insurance.ParseJSON(body); err != nil {
			return err
		}
	default:
		return problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "send text/csv or application/json")
	}
	if eff.Before(u.FirstMonth) {
		return invalid.Errors{{Name: "effective_from", Code: insurance.CodeInvalidMonth, Detail: "is before the unit's first month " + u.FirstMonth.String()}}
	}
	key := append([]byte(c.Request().URL.RawQuery+"\n"), body...)
	return s.idempotent(c, key, false, func(tx pgx.Tx) (int, any, error) {
		d, err := insurance.Declare(ctx, tx, u, eff, emps, prefix, detail)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, d, nil
	})
}
