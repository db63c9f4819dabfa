package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/app"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestRescueAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		timeouts []time.Duration
		want     time.Duration
	}{
		{"River's default only", []time.Duration{0, 0}, 2 * time.Minute},
		{"a longer job", []time.Duration{0, 5 * time.Minute}, 6 * time.Minute},
		{"no timeouts", nil, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := app.RescueAfter(app.JobTimeout, tc.timeouts...); got != tc.want {
				t.Errorf("RescueAfter = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestStuckJobIsRescued leaves a job "running" as an instance killed
// mid-job does, attempted longer ago than RescueAfter, and expects a gateway
// to take it back and run it within minutes — River's default would wait
// an hour.
func TestStuckJobIsRescued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	var id int64
	err := pool.QueryRow(ctx, `
INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at, attempted_by, priority)
VALUES ('{}', 'prune_idempotency_keys', 25, 'default', 'running', 1, now() - $1::interval, '{dead-instance}', 1)
RETURNING id`, (app.RescueAfter(app.JobTimeout) + time.Second).String()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Config{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Workers: true,
		Fees: func(string) banks.Fee { return banks.Fee{} }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := a.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, done := context.WithTimeout(ctx, 10*time.Second)
		defer done()
		_ = a.Stop(stopCtx)
	}()
	start := time.Now()
	deadline := start.Add(75 * time.Second)
	for {
		var state string
		var attempt int
		if err := pool.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE id = $1`, id).Scan(&state, &attempt); err != nil {
			t.Fatal(err)
		}
		if state == "completed" && attempt == 2 {
			t.Logf("rescued and completed after %v", time.Since(start).Round(time.Second))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stuck job is %s after attempt %d; want it rescued and completed", state, attempt)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
