package pg

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable is the database being unreachable: refused, reset, shut
// down or starting up. Unlike a constraint or a bug, the same request is
// likely to succeed a few seconds later, so the edge answers 503 with
// Retry-After instead of 500 — and a bank feed that gets 503 retries.
var ErrUnavailable = errors.New("database unavailable")

// Unavailable reports whether err means PostgreSQL could not be reached or
// dropped the connection, as opposed to refusing the statement.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08 is connection exceptions; 57P01-03 are an admin or
		// crash shutdown and "cannot connect now" while starting up.
		return len(pe.Code) == 5 && pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// A caller's deadline or cancellation is not an outage (and
	// context.DeadlineExceeded would pass for a net.Error below).
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}
