package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/internal/devpg"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestMain(m *testing.M) {
	// The reconciliation scenario may run this binary as its child.
	if path := os.Getenv(reconcileChildEnv); path != "" {
		if err := reconcileChild(path); err != nil {
			os.Stderr.WriteString("reconcile child: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmoke runs every scenario of `make bench` for about a second at low
// concurrency against a fresh database, to prove the harness works: the
// gateway starts, every figure is measured and positive, the exactly-once
// checks pass and the reconciliation counts what was seeded. It says
// nothing about performance.
func TestSmoke(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := devpg.FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "civicpay")
	build := exec.Command(goTool(), "build", "-o", bin, "./cmd/civicpay")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the gateway: %v\n%s", err, out)
	}
	cfg := Config{
		Root: root, Civicpay: bin, DBURL: pgtest.NewURL(t),
		Duration: 500 * time.Millisecond, Levels: []int{2}, APILevels: []int{2},
		Streams: 200, ReconLines: 20000, WidgetSamples: 1, WidgetWarm: 1,
		Chromium: envOr("CHROMIUM", "/usr/bin/chromium"), Wrk: "wrk", Settle: 50 * time.Millisecond, Fixtures: 2000,
	}
	widget := true
	if _, err := os.Stat(filepath.Join(root, "wasm", "dist", "manifest.json")); err != nil {
		t.Log("wasm/dist is not built (make wasm): skipping the widget scenario")
		widget = false
	} else if _, err := exec.LookPath(cfg.Chromium); err != nil {
		t.Logf("no chromium at %s: skipping the widget scenario", cfg.Chromium)
		widget = false
	}
	if !widget {
		cfg.Only = map[string]bool{"settle": true, "api": true, "latency": true, "memory": true, "reconcile": true}
	}
	var log strings.Builder
	logOut = &log
	defer func() { logOut = os.Stderr }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg)
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, rep.Markdown())
	}
	for _, p := range rep.Problems {
		t.Errorf("problem: %s", p)
	}
	want := 13 // 2 of settlement, create, read, list, 4 latencies, 2 of memory, 2 of reconciliation
	if widget {
		want += 3 // size, cold and warm time to QR
	}
	if len(rep.Rows) != want {
		t.Errorf("%d figures, want %d:\n%s", len(rep.Rows), want, rep.Markdown())
	}
	for _, r := range rep.Rows {
		if !(r.Gateway > 0) || !(r.Reference > 0) || !(r.Ratio > 0) {
			t.Errorf("figure %s %s is not positive: gateway %v, reference %v, ratio %v", r.Scenario, r.Metric, r.Gateway, r.Reference, r.Ratio)
		}
	}
	joined := strings.Join(rep.Verified, "\n")
	for _, v := range []string{"exactly-once", "reconciliation"} {
		if !strings.Contains(joined, v) {
			t.Errorf("the %s check did not pass; verified: %q", v, rep.Verified)
		}
	}
	md := rep.Markdown()
	for _, s := range []string{"| # | scenario |", "commit", "PostgreSQL"} {
		if !strings.Contains(md, s) {
			t.Errorf("the report lacks %q:\n%s", s, md)
		}
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
