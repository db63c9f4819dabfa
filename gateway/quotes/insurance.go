package quotes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/insurance"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Inputs of the social_insurance rule.
const (
	InputSIUnit = "si_unit"
	inSIUnit    = "inputs." + InputSIUnit
)

// CodeNotFound and CodeBelowMinimum are field codes of the
// social_insurance rule.
const (
	CodeNotFound     = "not_found"
	CodeBelowMinimum = insurance.CodeBelowMinimum
)

// lookups are what pricing reads from the database: a unit's month from
// its declaration in force, and the legal values of a month. In production
// they query (dbLookups), in tests they are tables.
type lookups struct {
	payroll func(service, unitID string, period Date) (insurance.Priced, error)
	params  func(period Date) (insurance.Params, error)
}

// dbPayroll finds the unit among this portal's own, in this mode, so one
// portal can never price (or learn of) another's payroll.
func dbLookups(ctx context.Context, db pg.Querier, portalID string, livemode bool) lookups {
	payroll := func(service, unitID string, period Date) (insurance.Priced, error) {
		u, err := insurance.GetUnit(ctx, db, portalID, livemode, unitID)
		if err != nil {
			return insurance.Priced{}, err
		}
		if u.Service != service {
			return insurance.Priced{}, insurance.ErrUnitNotFound
		}
		p, _, err := insurance.PriceMonth(ctx, db, u, insurance.MonthOf(period.Y, period.M), false)
		return p, err
	}
	params := func(period Date) (insurance.Params, error) {
		return insurance.LoadParams(ctx, db, insurance.MonthOf(period.Y, period.M), 1)
	}
	return lookups{payroll, params}
}

// insuranceLines prices a unit's month employee by employee (each salary
// capped on its own, never the fund as a whole) and refuses future
// periods: their declarations and legal values are not settled yet.
func insuranceLines(svc catalog.Service, r *inputs, now time.Time, look lookups) (Lines, error) {
	r.only(InputSIUnit, InputPeriod)
	unit, _ := r.get(InputSIUnit)
	period := r.month(InputPeriod)
	today := DateOf(now.In(vietnam))
	if thisMonth := (Date{today.Y, today.M, 1}); period.Valid() && thisMonth.Before(period) {
		r.errs.add(inPeriod, CodeOutOfRange, "must not be after the current month "+thisMonth.String()[:7])
	}
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	priced, err := look.payroll(svc.Code, unit, period)
	var below *insurance.BelowMinimumError
	switch {
	case errors.Is(err, insurance.ErrUnitNotFound):
		return nil, fieldError(inSIUnit, CodeNotFound, "is not an SI unit of this portal for "+svc.Code)
	case errors.Is(err, insurance.ErrNoDeclaration):
		return nil, fieldError(inPeriod, CodeUnsupported, "the unit has no declaration in force for "+period.String()[:7])
	case errors.Is(err, insurance.ErrNoParameters):
		return nil, fieldError(inPeriod, CodeUnsupported, "no contribution rates, caps or minimum wages are configured for "+period.String()[:7])
	case errors.As(err, &below):
		return nil, fieldError(inPeriod, CodeBelowMinimum, fmt.Sprintf("employee %s earns below the minimum wage %s in force in %s; declare a new salary", below.SINumber, grouped(below.Minimum), below.Month))
	case err != nil:
		return nil, err
	}
	if priced.Count == 0 {
		return nil, fieldError(inPeriod, CodeUnsupported, "no declared employee contributes for "+period.String()[:7])
	}
	lines := make(Lines, len(priced.Lines))
	for i, l := range priced.Lines {
		lines[i] = Line{Code: l.Code, Label: catalog.LocalizedName{VI: l.VI, EN: l.EN}, Amount: l.Amount,
			Basis: grouped(l.Base) + " × " + percent(l.Rate) + ", each employee capped"}
	}
	return lines, nil
}
