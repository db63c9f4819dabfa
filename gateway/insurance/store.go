package insurance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

var (
	// ErrUnitNotFound is a unit that does not exist for this portal and
	// mode; another portal's unit is indistinguishable from none.
	ErrUnitNotFound = errors.New("no such SI unit")
	// ErrUnitExists is a unit code the portal registered already.
	ErrUnitExists = errors.New("an SI unit with this code exists already")
	// ErrNoDeclaration is a month no declaration of the unit covers yet.
	ErrNoDeclaration = errors.New("no declaration of the SI unit is in force for the month")
)

// OA rates a unit may have: the standard 0.5% or the reduced 0.3%
// (Decree 58/2020/NĐ-CP).
var (
	OAStandard = decimal.RequireFromString("0.005")
	OAReduced  = decimal.RequireFromString("0.003")
)

var (
	// unitCodeRE is the shape payments of kind insurance take as their
	// reference (gateway/payments), e.g. TZ0123A.
	unitCodeRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{4}[A-Z0-9]{1,3}$`)
	taxCodeRE  = regexp.MustCompile(`^[0-9]{10}(-[0-9]{3})?$`)
)

// Unit is an SI unit (mã đơn vị) a portal registered.
type Unit struct {
	ID         string
	PortalID   string
	Livemode   bool
	Code       string
	Name       string
	TaxCode    string
	Service    string
	Region     int
	OARate     decimal.Decimal
	FirstMonth Month
	CreatedAt  time.Time
}

// UnitInput registers a unit; Service must be a social_insurance service
// of an agency the portal collects for (the API checks that).
type UnitInput struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	TaxCode    string `json:"tax_code"`
	Service    string `json:"service"`
	Region     int    `json:"region"`
	OARate     string `json:"occupational_accident_rate"`
	FirstMonth string `json:"first_month"`
}

// Check validates every field at once.
func (in UnitInput) Check() (Unit, error) {
	var errs invalid.Errors
	u := Unit{Code: in.Code, Name: strings.TrimSpace(in.Name), TaxCode: in.TaxCode, Service: in.Service, Region: in.Region}
	if !unitCodeRE.MatchString(in.Code) {
		errs.Add("code", CodeInvalid, "must be the unit's VSS code such as TZ0123A")
	}
	if n := utf8.RuneCountInString(u.Name); n < 1 || n > 100 {
		errs.Add("name", CodeRequired, "must be 1 to 100 characters")
	}
	if !taxCodeRE.MatchString(in.TaxCode) {
		errs.Add("tax_code", CodeInvalid, "must be the unit's 10-digit tax code, optionally with a -NNN branch")
	}
	if in.Service == "" {
		errs.Add("service", CodeRequired, "is required")
	}
	if in.Region < 1 || in.Region > 4 {
		errs.Add("region", CodeInvalid, "must be the minimum-wage region 1 to 4 (I–IV)")
	}
	switch in.OARate {
	case "", "0.005":
		u.OARate = OAStandard
	case "0.003":
		u.OARate = OAReduced
	default:
		errs.Add("occupational_accident_rate", CodeInvalid, `must be "0.005" or the reduced "0.003"`)
	}
	var err error
	if u.FirstMonth, err = ParseMonth(in.FirstMonth); err != nil {
		errs.Add("first_month", CodeInvalidMonth, "must be a month YYYY-MM")
	}
	return u, errs.Err()
}

const insertUnitSQL = `
INSERT INTO si_units (id, portal_id, livemode, code, name, tax_code, service_code, region, oa_rate, first_month)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING created_at`

// CreateUnit stores a checked unit.
func CreateUnit(ctx context.Context, db pg.Querier, u Unit) (Unit, error) {
	u.ID = ids.New("siu", 24)
	err := db.QueryRow(ctx, insertUnitSQL, u.ID, u.PortalID, u.Livemode, u.Code, u.Name, u.TaxCode, u.Service, u.Region, u.OARate, u.FirstMonth.First()).Scan(&u.CreatedAt)
	if errors.Is(pg.Translate(err), pg.ErrConflict) {
		return Unit{}, ErrUnitExists
	}
	if err != nil {
		return Unit{}, fmt.Errorf("insurance: create unit: %w", pg.Translate(err))
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

const unitCols = `id, portal_id, livemode, code, name, tax_code, service_code, region, oa_rate, first_month, created_at`

func scanUnit(row pgx.Row) (Unit, error) {
	var u Unit
	var first time.Time
	err := row.Scan(&u.ID, &u.PortalID, &u.Livemode, &u.Code, &u.Name, &u.TaxCode, &u.Service, &u.Region, &u.OARate, &first, &u.CreatedAt)
	u.FirstMonth, u.CreatedAt = MonthOf(first.Year(), first.Month()), u.CreatedAt.UTC()
	return u, err
}

// GetUnit returns a unit of this portal and mode.
func GetUnit(ctx context.Context, db pg.Querier, portalID string, livemode bool, id string) (Unit, error) {
	if !strings.HasPrefix(id, "siu_") || len(id) > 44 {
		return Unit{}, ErrUnitNotFound
	}
	u, err := scanUnit(db.QueryRow(ctx, `SELECT `+unitCols+` FROM si_units WHERE id = $1 AND portal_id = $2 AND livemode = $3`, id, portalID, livemode))
	if errors.Is(err, pgx.ErrNoRows) {
		return Unit{}, ErrUnitNotFound
	}
	if err != nil {
		return Unit{}, fmt.Errorf("insurance: unit: %w", pg.Translate(err))
	}
	return u, nil
}

// Declaration is a stored payroll, and its first month priced.
type Declaration struct {
	ID            string
	UnitID        string
	EffectiveFrom Month
	Employees     int
	CreatedAt     time.Time
	Priced        Priced
}

// Declare stores emps as the unit's payroll from eff, after refusing every
// salary under the minimum wage in force in the first month it covers
// (all at once, by line). It runs in the caller's transaction: nothing is
// stored when anything is refused.
func Declare(ctx context.Context, tx pgx.Tx, u Unit, eff Month, emps []Employee, prefix string, detail bool) (Declaration, error) {
	if err := checkFloors(ctx, tx, u, eff, emps, prefix); err != nil {
		return Declaration{}, err
	}
	d := Declaration{ID: ids.New("sid", 24), UnitID: u.ID, EffectiveFrom: eff, Employees: len(emps)}
	if err := tx.QueryRow(ctx, `INSERT INTO si_declarations (id, unit_id, effective_from, employees) VALUES ($1, $2, $3, $4) RETURNING created_at`,
		d.ID, u.ID, eff.First(), len(emps)).Scan(&d.CreatedAt); err != nil {
		return Declaration{}, fmt.Errorf("insurance: declare: %w", pg.Translate(err))
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"si_employees"},
		[]string{"declaration_id", "line", "si_number", "full_name", "foreign_worker", "salary", "allowances", "from_month", "to_month"},
		pgx.CopyFromSlice(len(emps), func(i int) ([]any, error) {
			e := emps[i]
			var to any
			if !e.To.IsZero() {
				to = e.To.First()
			}
			return []any{d.ID, e.Line, e.SINumber, e.Name, e.Foreign, e.Salary, e.Allowances, e.From.First(), to}, nil
		}))
	if err != nil {
		return Declaration{}, fmt.Errorf("insurance: declare employees: %w", pg.Translate(err))
	}
	p, err := LoadParams(ctx, tx, eff, u.Region)
	if err != nil {
		return Declaration{}, err
	}
	d.CreatedAt = d.CreatedAt.UTC()
	d.Priced, err = Price(p, u.OARate, emps, eff, detail)
	return d, err
}

// checkFloors compares each salary with the minimum wage of the first
// month it is declared for: max(eff, from_month).
func checkFloors(ctx context.Context, db pg.Querier, u Unit, eff Month, emps []Employee, prefix string) error {
	params := map[Month]Params{}
	var errs invalid.Errors
	for _, e := range emps {
		m := eff
		if eff.Before(e.From) {
			m = e.From
		}
		p, ok := params[m]
		if !ok {
			var err error
			if p, err = LoadParams(ctx, db, m, u.Region); err != nil {
				errs.Add(fmt.Sprintf("%s[%d].from_month", prefix, e.Line), CodeInvalidMonth, "no legal values are configured for "+m.String())
				continue
			}
			params[m] = p
		}
		if e.Salary.LessThan(p.MinimumWage) {
			errs.Add(fmt.Sprintf("%s[%d].salary", prefix, e.Line), CodeBelowMinimum,
				fmt.Sprintf("is below the region %d minimum wage of %s đồng in force in %s", u.Region, p.MinimumWage.StringFixed(0), m))
		}
	}
	return errs.Err()
}

const inForceSQL = `
SELECT id FROM si_declarations
WHERE unit_id = $1 AND effective_from <= $2::date
ORDER BY effective_from DESC, seq DESC LIMIT 1`

const employeesSQL = `
SELECT line, si_number, full_name, foreign_worker, salary, allowances, from_month, to_month
FROM si_employees WHERE declaration_id = $1 ORDER BY line`

// InForce returns the declaration in force for m: the latest effective by
// then, the newest upload winning a tie.
func InForce(ctx context.Context, db pg.Querier, unitID string, m Month) (string, []Employee, error) {
	var id string
	err := db.QueryRow(ctx, inForceSQL, unitID, m.First()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, ErrNoDeclaration
	}
	if err != nil {
		return "", nil, fmt.Errorf("insurance: declaration in force: %w", pg.Translate(err))
	}
	rows, err := db.Query(ctx, employeesSQL, id)
	if err != nil {
		return "", nil, fmt.Errorf("insurance: employees: %w", pg.Translate(err))
	}
	emps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Employee, error) {
		var e Employee
		var from time.Time
		var to *time.Time
		err := r.Scan(&e.Line, &e.SINumber, &e.Name, &e.Foreign, &e.Salary, &e.Allowances, &from, &to)
		e.From = MonthOf(from.Year(), from.Month())
		if to != nil {
			e.To = MonthOf(to.Year(), to.Month())
		}
		return e, err
	})
	if err != nil {
		return "", nil, fmt.Errorf("insurance: employees: %w", pg.Translate(err))
	}
	return id, emps, nil
}

// PriceMonth prices a unit's month from the declaration in force.
func PriceMonth(ctx context.Context, db pg.Querier, u Unit, m Month, detail bool) (Priced, string, error) {
	id, emps, err := InForce(ctx, db, u.ID, m)
	if err != nil {
		return Priced{}, "", err
	}
	p, err := LoadParams(ctx, db, m, u.Region)
	if err != nil {
		return Priced{}, "", err
	}
	priced, err := Price(p, u.OARate, emps, m, detail)
	return priced, id, err
}
