package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// profiled runs fn, recorded with perf into cfg.Profile/name when -profile
// is set.
func (e *Env) profiled(ctx context.Context, cfg Config, name string, fn func() error) error {
	if cfg.Profile == "" {
		return fn()
	}
	stop, err := startPerf(ctx, filepath.Join(cfg.Profile, name), e.Pool)
	if err != nil {
		return err
	}
	err = fn()
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	return err
}

// startPerf records the whole machine (the gateway, PostgreSQL's backends,
// the load generator) with Linux perf until the returned function is
// called, which writes two reports into dir: time per process and the hot
// symbols of each. `make bench BENCH_FLAGS='-only settle -profile .data/prof'` (reports in
// .data/prof/settle)
// is how to see what dominates the settlement path without touching the
// gateway's code.
func startPerf(ctx context.Context, dir string, pool *pgxpool.Pool) (func() error, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return nil, fmt.Errorf("-profile needs Linux perf (Debian: linux-perf): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "perf.data")
	rec := exec.Command(perf, "record", "-a", "-g", "-F", "499", "-o", data)
	rec.Stdout, rec.Stderr = os.Stderr, os.Stderr
	if err := rec.Start(); err != nil {
		return nil, err
	}
	sctx, stopSampling := context.WithCancel(ctx)
	samples := make(chan map[string]int, 1)
	go func() { samples <- sampleActivity(sctx, pool) }()
	time.Sleep(500 * time.Millisecond)
	return func() error {
		_ = rec.Process.Signal(syscall.SIGINT)
		_ = rec.Wait()
		stopSampling()
		if err := writeActivity(filepath.Join(dir, "pg-activity.txt"), <-samples); err != nil {
			return err
		}
		for name, args := range map[string][]string{
			"by-process.txt": {"report", "-i", data, "--stdio", "--no-children", "--sort", "comm,dso"},
			"by-symbol.txt":  {"report", "-i", data, "--stdio", "--no-children", "--sort", "comm,sym", "-g", "none", "--percent-limit", "0.5"},
		} {
			out, err := exec.CommandContext(ctx, perf, args...).Output()
			if err != nil {
				return fmt.Errorf("perf report: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
				return err
			}
		}
		logf("  profile written to %s (by-process.txt, by-symbol.txt, pg-activity.txt)", dir)
		return nil
	}, nil
}

// sampleActivity polls pg_stat_activity of the bench database every 5 ms
// until ctx ends and counts what its other backends were doing: a
// sampling profile of the gateway's time inside PostgreSQL, by statement
// and wait event.
func sampleActivity(ctx context.Context, pool *pgxpool.Pool) map[string]int {
	counts := map[string]int{}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return counts
		case <-t.C:
		}
		rows, err := pool.Query(ctx, `
			SELECT coalesce(nullif(application_name, ''), 'gateway') || ' | ' || state, coalesce(wait_event_type || ':' || wait_event, 'CPU'),
			       regexp_replace(left(query, 90), '\s+', ' ', 'g')
			FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)
		if err != nil {
			continue
		}
		for rows.Next() {
			var state, wait, query string
			if rows.Scan(&state, &wait, &query) == nil {
				counts[state+" | "+wait+" | "+query]++
			}
		}
		rows.Close()
		counts["(samples)"]++
	}
}

func writeActivity(path string, counts map[string]int) error {
	type kv struct {
		k string
		n int
	}
	var list []kv
	total := 0
	for k, n := range counts {
		if k != "(samples)" {
			list = append(list, kv{k, n})
			total += n
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n })
	var b strings.Builder
	fmt.Fprintf(&b, "%d samples of pg_stat_activity; %d non-idle backend observations (client | state | wait | statement)\n\n", counts["(samples)"], total)
	for _, e := range list {
		fmt.Fprintf(&b, "%6.2f%%  %6d  %s\n", 100*float64(e.n)/float64(max(total, 1)), e.n, e.k)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
