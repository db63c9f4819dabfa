package insurance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Events a portal receives about its units' obligations, so it can remind
// the business.
const (
	ObligationCreated = "obligation.created"
	ObligationDueSoon = "obligation.due_soon"
	ObligationOverdue = "obligation.overdue"
	ObligationPaid    = "obligation.paid"
)

// DefaultDueSoonDays is how many days before its due date an open
// obligation is announced as due soon.
const DefaultDueSoonDays = 5

// ObligationsArgs is the periodic River job that keeps every unit's
// obligations and reminders current.
type ObligationsArgs struct{}

// Kind names the job for River.
func (ObligationsArgs) Kind() string { return "si_obligations" }

// Worker runs ObligationsArgs.
type Worker struct {
	river.WorkerDefaults[ObligationsArgs]
	Pool        *pgxpool.Pool
	Outbox      *events.Outbox
	DueSoonDays int
	Log         *slog.Logger
	Now         func() time.Time
}

// Work runs one pass over every unit.
func (w *Worker) Work(ctx context.Context, _ *river.Job[ObligationsArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	return Run(ctx, w.Pool, w.Outbox, w.DueSoonDays, now, w.Log)
}

// Run makes each unit's missing obligations through the current month (in
// Vietnam) and sends the reminders due on today's statement. Each unit is
// one transaction holding its row lock, so two passes (two gateways, a
// retried job) never send an event twice: an obligation's creation is
// unique per unit and month, and each reminder has its flag.
// A unit that fails is logged and the others still run; the job then
// fails so River retries it.
func Run(ctx context.Context, db *pgxpool.Pool, outbox *events.Outbox, dueSoonDays int, now time.Time, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	rows, err := db.Query(ctx, `SELECT id FROM si_units ORDER BY id`)
	if err != nil {
		return fmt.Errorf("insurance: units: %w", pg.Translate(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("insurance: units: %w", pg.Translate(err))
	}
	today := CivilDay(now)
	var failed []error
	for _, id := range ids {
		err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
			u, err := scanUnit(tx.QueryRow(ctx, `SELECT `+unitCols+` FROM si_units WHERE id = $1 FOR UPDATE`, id))
			if err != nil {
				return err
			}
			return runUnit(ctx, tx, outbox, u, dueSoonDays, today, log)
		})
		if err != nil {
			log.Error("social insurance obligations", "unit", id, "err", err)
			failed = append(failed, fmt.Errorf("insurance: unit %s: %w", id, err))
		}
	}
	return errors.Join(failed...)
}

func runUnit(ctx context.Context, tx pgx.Tx, outbox *events.Outbox, u Unit, dueSoonDays int, today time.Time, log *slog.Logger) error {
	made, skipped, err := Ensure(ctx, tx, u, MonthOf(today.Year(), today.Month()))
	if err != nil {
		return err
	}
	for _, e := range skipped {
		log.Warn("social insurance month not priced", "unit", u.ID, "err", e)
	}
	var evs []events.Event
	for _, c := range made {
		evs = append(evs, obligationEvent(ObligationCreated, u, ObligationState{ObligationRow: c.ObligationRow}, today))
	}
	st, err := LoadStatement(ctx, tx, u, today)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT month, due_soon_sent, overdue_sent, paid_sent FROM si_obligations WHERE unit_id = $1`, u.ID)
	if err != nil {
		return pg.Translate(err)
	}
	type flags struct{ dueSoon, overdue, paid bool }
	sent := map[Month]flags{}
	for rows.Next() {
		var m time.Time
		var f flags
		if err := rows.Scan(&m, &f.dueSoon, &f.overdue, &f.paid); err != nil {
			rows.Close()
			return err
		}
		sent[MonthOf(m.Year(), m.Month())] = f
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range st.Obligations {
		f := sent[o.Month]
		open := o.Outstanding().IsPositive()
		var typ, flag string
		switch {
		case !open && o.Amount.IsPositive() && !f.paid:
			typ, flag = ObligationPaid, "paid_sent"
		case open && o.Due.Before(today) && !f.overdue:
			typ, flag = ObligationOverdue, "overdue_sent"
		case open && !o.Due.Before(today) && !o.Due.After(today.AddDate(0, 0, dueSoonDays)) && !f.dueSoon:
			typ, flag = ObligationDueSoon, "due_soon_sent"
		default:
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE si_obligations SET `+flag+` = true WHERE unit_id = $1 AND month = $2`, u.ID, o.Month.First()); err != nil {
			return pg.Translate(err)
		}
		evs = append(evs, obligationEvent(typ, u, o, today))
	}
	if outbox == nil || len(evs) == 0 {
		return nil
	}
	return outbox.Emit(ctx, tx, evs...)
}

func obligationEvent(typ string, u Unit, o ObligationState, today time.Time) events.Event {
	return events.Event{Type: typ, PortalID: u.PortalID, Livemode: u.Livemode, Object: map[string]any{
		"object": "si_obligation", "unit": u.ID, "unit_code": u.Code, "month": o.Month.String(),
		"due_date": o.Due.Format(time.DateOnly), "amount": money(o.Amount), "outstanding": money(o.Outstanding()),
		"interest": money(o.Interest), "as_of": today.Format(time.DateOnly),
	}}
}
