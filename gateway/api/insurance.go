package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

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
	e.GET("/v1/si-units/:id/statement", s.getStatement, s.requireKey)
	e.GET("/v1/si-units/:id/contributions", s.getContributions, s.requireKey)
	e.POST("/v1/si-units/:id/payments", s.createBalancePayment, s.requireKey)
}

// bigBody lets payroll uploads past the global MaxBody; they get their own
// bound in createDeclaration.
func bigBody(c echo.Context) bool { return c.Path() == declarationsPath }

func (s *Server) createSIUnit(c echo.Context) error {
	var in insurance.UnitInput
	canon, bad, err := readJSON(c, &in)
	if err != nil {
		return err
	}
	u, err := in.Check()
	if err := joinInvalid(bad, err); err != nil {
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

// statementDay reads ?date= (YYYY-MM-DD), or today in Vietnam.
func (s *Server) statementDay(c echo.Context, field, value string) (time.Time, error) {
	if value == "" {
		return insurance.CivilDay(s.now()), nil
	}
	d, err := time.Parse(time.DateOnly, value)
	if err != nil || len(value) != 10 {
		return time.Time{}, invalid.Errors{{Name: field, Code: "invalid_date", Detail: "must be a calendar date YYYY-MM-DD"}}
	}
	return d, nil
}

// getStatement shows the unit's obligations, payments, interest and
// balance, exactly, as of ?date= (default today in Vietnam).
func (s *Server) getStatement(c echo.Context) error {
	who := principal(c)
	ctx := c.Request().Context()
	u, err := insurance.GetUnit(ctx, s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	day, err := s.statementDay(c, "date", c.QueryParam("date"))
	if err != nil {
		return err
	}
	st, err := insurance.LoadStatement(ctx, s.deps.Pool, u, day)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// balancePaymentRequest asks for a payment of the unit's balance on a day.
type balancePaymentRequest struct {
	Date        string  `json:"date"`
	Description *string `json:"description,omitempty"`
	ReturnURL   *string `json:"return_url,omitempty"`
}

// createBalancePayment makes a payment of what the unit owes on a day
// (today in Vietnam, or up to six days ahead), payable until that day
// ends, since interest grows daily. Missing obligations are made first.
// The payment is linked to the unit, so settlement allocates it.
func (s *Server) createBalancePayment(c echo.Context) error {
	var req balancePaymentRequest
	canon, bad, err := readJSON(c, &req)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return bad
	}
	who := principal(c)
	ctx := c.Request().Context()
	now := s.now()
	today := insurance.CivilDay(now)
	day, err := s.statementDay(c, "date", req.Date)
	if err != nil {
		return err
	}
	if day.Before(today) || day.After(today.AddDate(0, 0, 6)) {
		return invalid.Errors{{Name: "date", Code: "out_of_range", Detail: "must be today (in Vietnam) or within the next 6 days"}}
	}
	u, err := insurance.GetUnit(ctx, s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	svc, err := catalog.GetService(ctx, s.deps.Pool, u.Service)
	if err != nil {
		return err
	}
	return s.idempotent(c, canon, true, func(tx pgx.Tx) (int, any, error) {
		// A month that cannot be priced (a salary under a minimum wage raised
		// since the declaration) is left out of the balance, as in the
		// statement, until a new declaration is uploaded.
		if _, _, err := insurance.Ensure(ctx, tx, u, insurance.MonthOf(day.Year(), day.Month())); err != nil {
			return 0, nil, err
		}
		st, err := insurance.LoadStatement(ctx, tx, u, day)
		if err != nil {
			return 0, nil, err
		}
		lines := balanceLines(st)
		if len(lines) == 0 {
			return 0, nil, problem.New(http.StatusUnprocessableEntity, "nothing_owed", "the unit owes nothing on "+day.Format(time.DateOnly))
		}
		endOfDay := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, insurance.Vietnam)
		q, err := quotes.Store(ctx, tx, who.PortalID, who.Livemode, svc.Code, quotes.RuleSocialInsurance,
			map[string]string{"si_unit": u.ID, "balance_date": day.Format(time.DateOnly)}, lines, endOfDay, now)
		if err != nil {
			return 0, nil, err
		}
		p, err := payments.Create(ctx, tx, who, payments.CreateRequest{
			Service: svc.Code, Reference: u.Code, Quote: &q.ID, Payer: &payments.Payer{Name: u.Name, TaxCode: u.TaxCode},
			Description: req.Description, ReturnURL: req.ReturnURL,
		}, catalog.ServiceLookup{Service: svc}, now)
		if err != nil {
			return 0, nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET si_unit_id = $1 WHERE id = $2`, u.ID, p.ID); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, p.View(), nil
	})
}

// balanceLines are a statement's outstanding amounts, one line per
// obligation's principal and one per its interest, oldest first, less any
// credit; they add up exactly to the balance.
func balanceLines(st insurance.Statement) quotes.Lines {
	var lines quotes.Lines
	credit := st.Credit
	for _, o := range st.Obligations {
		principal := o.Amount.Sub(o.PrincipalPaid)
		interest := o.Interest.Sub(o.InterestPaid)
		for _, part := range []struct {
			code, vi, en string
			amount       decimal.Decimal
		}{
			{"contributions_" + o.Month.String(), "Tiền đóng BHXH, BHYT, BHTN tháng " + o.Month.String(), "Contributions for " + o.Month.String(), principal},
			{"late_interest_" + o.Month.String(), "Tiền chậm đóng tháng " + o.Month.String(), "Late-payment interest for " + o.Month.String(), interest},
		} {
			take := decimal.Min(credit, part.amount)
			credit = credit.Sub(take)
			if amt := part.amount.Sub(take); amt.IsPositive() {
				lines = append(lines, quotes.Line{Code: part.code, Label: catalog.LocalizedName{VI: part.vi, EN: part.en}, Amount: amt})
			}
		}
	}
	return lines
}

// getContributions prices a month from the declaration in force: lines per
// fund and party and, with ?by_employee=true, each employee's exact share.
func (s *Server) getContributions(c echo.Context) error {
	who := principal(c)
	ctx := c.Request().Context()
	u, err := insurance.GetUnit(ctx, s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
	if err != nil {
		return err
	}
	m, err := insurance.ParseMonth(c.QueryParam("month"))
	if err != nil {
		return invalid.Errors{{Name: "month", Code: insurance.CodeInvalidMonth, Detail: "the query parameter must be a month YYYY-MM"}}
	}
	priced, _, err := insurance.PriceMonth(ctx, s.deps.Pool, u, m, c.QueryParam("by_employee") == "true")
	var below *insurance.BelowMinimumError
	if errors.As(err, &below) {
		return invalid.Errors{{Name: "month", Code: insurance.CodeBelowMinimum, Detail: below.Error()}}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, priced)
}
