package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Vietnam is the zone whose calendar decides due dates and payment days
// (fixed UTC+7, no DST).
var Vietnam = time.FixedZone("ICT", 7*3600)

// CivilDay is t's calendar day in Vietnam, at UTC midnight.
func CivilDay(t time.Time) time.Time {
	y, m, d := t.In(Vietnam).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Created is an obligation a call to Ensure made.
type Created struct {
	ObligationRow
	Lines Priced
}

const insertObligationSQL = `
INSERT INTO si_obligations (unit_id, month, due_date, amount, lines, declaration_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (unit_id, month) DO NOTHING`

// Ensure creates the unit's missing obligations from its first month
// through `through`, each priced from the declaration in force for its
// month and due on the month's last day. It is idempotent per unit and
// month (the primary key). A month no declaration covers yet, or whose
// declared salaries fall below a minimum wage raised since, cannot be
// priced: it is skipped (returned in skipped, for the log) and made on a
// later run, once a declaration is uploaded; later months still are made.
func Ensure(ctx context.Context, tx pgx.Tx, u Unit, through Month) (made []Created, skipped []error, err error) {
	rows, err := tx.Query(ctx, `SELECT month FROM si_obligations WHERE unit_id = $1`, u.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("insurance: obligations: %w", pg.Translate(err))
	}
	have := map[Month]bool{}
	months, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, nil, fmt.Errorf("insurance: obligations: %w", pg.Translate(err))
	}
	for _, m := range months {
		have[MonthOf(m.Year(), m.Month())] = true
	}
	for m := u.FirstMonth; !through.Before(m); m = m.Next() {
		if have[m] {
			continue
		}
		priced, declID, err := PriceMonth(ctx, tx, u, m, false)
		var below *BelowMinimumError
		if errors.Is(err, ErrNoDeclaration) || errors.Is(err, ErrNoParameters) || errors.As(err, &below) {
			skipped = append(skipped, fmt.Errorf("insurance: unit %s month %s: %w", u.ID, m, err))
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("insurance: unit %s month %s: %w", u.ID, m, err)
		}
		body, err := json.Marshal(priced)
		if err != nil {
			return nil, nil, err
		}
		tag, err := tx.Exec(ctx, insertObligationSQL, u.ID, m.First(), m.Last(), priced.Total(), body, declID)
		if err != nil {
			return nil, nil, fmt.Errorf("insurance: obligation: %w", pg.Translate(err))
		}
		if tag.RowsAffected() == 1 {
			made = append(made, Created{ObligationRow{m, m.Last(), priced.Total()}, priced})
		}
	}
	return made, skipped, nil
}

// LoadStatement reads the unit's obligations of months begun by asOf and
// its payments, and replays them (BuildStatement).
func LoadStatement(ctx context.Context, db pg.Querier, u Unit, asOf time.Time) (Statement, error) {
	rows, err := db.Query(ctx, `SELECT month, due_date, amount FROM si_obligations WHERE unit_id = $1 AND month <= $2 ORDER BY month`, u.ID, asOf)
	if err != nil {
		return Statement{}, fmt.Errorf("insurance: statement: %w", pg.Translate(err))
	}
	obs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ObligationRow, error) {
		var o ObligationRow
		var m time.Time
		err := r.Scan(&m, &o.Due, &o.Amount)
		o.Month = MonthOf(m.Year(), m.Month())
		return o, err
	})
	if err != nil {
		return Statement{}, fmt.Errorf("insurance: statement: %w", pg.Translate(err))
	}
	rows, err = db.Query(ctx, `SELECT payment_id, paid_on, amount FROM si_payments WHERE unit_id = $1 AND paid_on <= $2 ORDER BY paid_on, created_at, payment_id`, u.ID, asOf)
	if err != nil {
		return Statement{}, fmt.Errorf("insurance: statement: %w", pg.Translate(err))
	}
	pays, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PaymentRow, error) {
		var p PaymentRow
		return p, r.Scan(&p.PaymentID, &p.PaidOn, &p.Amount)
	})
	if err != nil {
		return Statement{}, fmt.Errorf("insurance: statement: %w", pg.Translate(err))
	}
	return BuildStatement(u.ID, obs, pays, asOf), nil
}

const allocateSQL = `
INSERT INTO si_payments (payment_id, unit_id, paid_on, amount)
SELECT id, si_unit_id, (coalesce(succeeded_at, now()) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, amount
FROM payments WHERE id = ANY($1) AND si_unit_id IS NOT NULL
ON CONFLICT (payment_id) DO NOTHING`

// Allocate records a succeeded payment made for an SI unit's balance, on
// the Vietnamese day it succeeded, in the settlement's transaction; the
// statement allocates it to the oldest open obligation first. It does
// nothing for a payment that is not for a unit, and nothing twice.
func Allocate(ctx context.Context, tx pgx.Tx, paymentID string) error {
	return AllocateAll(ctx, tx, []string{paymentID})
}

// AllocateAll is Allocate for a settlement group, in one statement.
func AllocateAll(ctx context.Context, tx pgx.Tx, paymentIDs []string) error {
	if len(paymentIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, allocateSQL, paymentIDs); err != nil {
		return fmt.Errorf("insurance: allocate: %w", pg.Translate(err))
	}
	return nil
}
