// Package pg is the one place that knows PostgreSQL's error codes and how
// the gateway talks to the database: every store function takes a Querier,
// so it runs on the pool or inside a caller's pgx.Tx alike.
package pg

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what *pgxpool.Pool, *pgx.Conn and pgx.Tx have in common.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// TxBeginner starts transactions: a pool, a connection, or a Tx (savepoints).
type TxBeginner interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

var (
	// ErrConflict is a unique violation (23505): the row exists already, which
	// callers usually turn into a replay of the earlier result.
	ErrConflict = errors.New("conflict with an existing row")
	// ErrRetry is a serialization failure or deadlock (40001, 40P01).
	ErrRetry = errors.New("transaction must be retried")
	// ErrCheck is a check, foreign-key or not-null violation: bad data that
	// validation should have caught earlier.
	ErrCheck = errors.New("data violates a database constraint")
)

// ConstraintError carries the constraint name of a translated error.
type ConstraintError struct {
	Kind       error
	Constraint string
	Err        *pgconn.PgError
}

func (e *ConstraintError) Error() string   { return e.Kind.Error() + " (" + e.Constraint + ")" }
func (e *ConstraintError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Translate maps pgx errors to the package's sentinels; others pass through.
func Translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505":
		return &ConstraintError{Kind: ErrConflict, Constraint: pe.ConstraintName, Err: pe}
	case "40001", "40P01":
		return &ConstraintError{Kind: ErrRetry, Constraint: pe.ConstraintName, Err: pe}
	case "23514", "23503", "23502", "22003", "22P02":
		return &ConstraintError{Kind: ErrCheck, Constraint: pe.ConstraintName, Err: pe}
	}
	return err
}

// maxAttempts bounds InTx's retries: contention is retried, never looped on.
const maxAttempts = 5

// InTx runs fn in a transaction and commits it, retrying a bounded number of
// times when PostgreSQL reports a serialization failure or deadlock.
func InTx(ctx context.Context, db TxBeginner, fn func(pgx.Tx) error) error {
	return Retry(ctx, func() error { return pgx.BeginFunc(ctx, db, fn) })
}

// Retry runs attempt, translated, again while it fails with ErrRetry, at
// most maxAttempts times with a growing pause.
func Retry(ctx context.Context, attempt func() error) error {
	var err error
	for n := 0; n < maxAttempts; n++ {
		if n > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(n*n) * 5 * time.Millisecond):
			}
		}
		err = Translate(attempt())
		if !errors.Is(err, ErrRetry) {
			return err
		}
	}
	return err
}
