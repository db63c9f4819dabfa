// Command bench is `make bench`: it starts its own PostgreSQL (the private
// cluster of internal/devpg, as `make run` does), a fresh database, the
// gateway (`bin/civicpay serve` in a child process) and the sandbox
// providers, then measures each scenario for a bounded time beside a
// reference run in the same process against the same server, prints a
// table and appends it to docs/BENCHMARKS.md. See that file for what each
// scenario and its reference are.
//
//	go run ./bench [-d 6s] [-only settle,api,latency,memory,reconcile,widget] [-out docs/BENCHMARKS.md]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/civicpay/civicpay/internal/devpg"
)

// Config bounds a run.
type Config struct {
	Root     string
	Civicpay string // the gateway binary
	Banksim  string // the sandbox binary; empty or missing: none
	// DBURL, when set, is a fresh migrated database to use as is (the smoke
	// test's); otherwise the run recreates civicpay_bench on the private
	// cluster (or on DATABASE_URL's server).
	DBURL         string
	Duration      time.Duration // per measurement
	Levels        []int         // scenario 1 concurrencies
	APILevels     []int         // scenarios 2–3 concurrencies
	Streams       int
	ReconLines    int64
	WidgetSamples int // cold visits per page (each followed by WidgetWarm warm ones)
	WidgetWarm    int
	WidgetDwell   time.Duration // how long the cold visit stays open
	Wrk           string        // wrk binary for scenarios 2–3; "" or missing: vegeta
	Rounds        int           // scenarios 2–3: measurements per level and side (median reported)
	Chromium      string
	Only          map[string]bool
	Out           string        // markdown file to append to; empty: none
	Settle        time.Duration // pause between measurements
	Checkpoint    bool          // CHECKPOINT before each measurement
	Fixtures      int           // payments pre-created for reads and lists
	Profile       string        // perf profile of scenario 1 written here (see profile.go)
	Keep          bool          // keep the database and scratch files, for debugging
}

func (c Config) on(s string) bool { return len(c.Only) == 0 || c.Only[s] }

var logOut io.Writer = os.Stderr

func logf(format string, args ...any) { fmt.Fprintf(logOut, format+"\n", args...) }

func main() {
	if path := os.Getenv(reconcileChildEnv); path != "" {
		if err := reconcileChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "bench reconcile child:", err)
			os.Exit(1)
		}
		return
	}
	wd, _ := os.Getwd()
	root, err := devpg.FindRoot(wd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	cfg := Config{Root: root}
	var levels, apiLevels, only string
	flag.StringVar(&cfg.Civicpay, "civicpay", filepath.Join(root, "bin", "civicpay"), "gateway binary (make build makes it)")
	flag.StringVar(&cfg.Banksim, "banksim", filepath.Join(root, "bin", "banksim"), "sandbox binary; run when present")
	flag.DurationVar(&cfg.Duration, "d", 6*time.Second, "duration of each measurement")
	flag.StringVar(&levels, "levels", "1,8,32,64", "concurrencies of scenario 1")
	flag.StringVar(&apiLevels, "api-levels", "8,32", "concurrencies of scenarios 2 and 3")
	flag.IntVar(&cfg.Streams, "streams", 10000, "status streams to open in scenario 5")
	flag.Int64Var(&cfg.ReconLines, "recon-lines", 1_000_000, "lines of the provider report of scenario 6")
	flag.IntVar(&cfg.WidgetSamples, "widget-samples", 4, "cold visits per page in scenario 7")
	flag.IntVar(&cfg.WidgetWarm, "widget-warm", 3, "warm visits after each cold one")
	flag.DurationVar(&cfg.WidgetDwell, "widget-dwell", 3*time.Second, "how long each cold visit stays open before the warm ones (Chromium caches compiled wasm after tiering it up)")
	flag.IntVar(&cfg.Rounds, "rounds", 3, "scenarios 2–3: rounds per concurrency, gateway and pgbench alternating; the medians are reported")
	flag.StringVar(&cfg.Wrk, "wrk", "wrk", "HTTP load generator of scenarios 2–3 (Debian: wrk); vegeta when it is not found")
	flag.StringVar(&cfg.Chromium, "chromium", envOr("CHROMIUM", "/usr/bin/chromium"), "headless browser for scenario 7")
	flag.StringVar(&only, "only", "", "comma-separated scenarios to run: settle,api,latency,memory,reconcile,widget (default all)")
	flag.StringVar(&cfg.Out, "out", filepath.Join(root, "docs", "BENCHMARKS.md"), "markdown file to append the results to; empty: none")
	flag.DurationVar(&cfg.Settle, "pause", time.Second, "pause between measurements")
	flag.BoolVar(&cfg.Checkpoint, "checkpoint", true, "CHECKPOINT before each measurement, so none pays for the previous one's writes")
	flag.IntVar(&cfg.Fixtures, "fixtures", 20000, "payments pre-created for the read and list scenarios")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the bench database and scratch files (for debugging)")
	flag.StringVar(&cfg.Profile, "profile", "", "record scenarios 1–3 with perf (whole machine: gateway and PostgreSQL) and write the report here")
	flag.Parse()
	if cfg.Levels, err = ints(levels); err == nil {
		cfg.APILevels, err = ints(apiLevels)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if only != "" {
		cfg.Only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			cfg.Only[strings.TrimSpace(s)] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if rep != nil {
		fmt.Println()
		fmt.Print(rep.Markdown())
		if cfg.Out != "" && len(rep.Rows) > 0 {
			if werr := appendMarkdown(cfg.Out, rep); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
			} else {
				logf("appended to %s", cfg.Out)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a list of positive numbers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// run does the whole benchmark; the report holds whatever was measured
// even when a scenario fails.
func run(ctx context.Context, cfg Config) (*Report, error) {
	rep := &Report{Started: time.Now(), Commit: commit(cfg.Root)}
	rep.Cores, rep.Memory = machine()
	rep.Config = fmt.Sprintf("%s per measurement, settlement at %v clients, create/read/list at %v, %d streams, %d-line report",
		cfg.Duration, cfg.Levels, cfg.APILevels, cfg.Streams, cfg.ReconLines)
	defer func() { rep.Finished = time.Now() }()
	if _, err := raiseFileLimit(uint64(cfg.Streams) + 4096); err != nil {
		return rep, fmt.Errorf("raising the open-files limit: %w", err)
	}

	e := &Env{Root: cfg.Root, Civic: cfg.Civicpay, codes: map[string]bool{}, settle: cfg.Settle, checkpoint: cfg.Checkpoint}
	var err error
	if e.WorkDir, err = os.MkdirTemp(filepath.Join(cfg.Root, ".data"), "bench-"); err != nil {
		if err := os.MkdirAll(filepath.Join(cfg.Root, ".data"), 0o755); err != nil {
			return rep, err
		}
		if e.WorkDir, err = os.MkdirTemp(filepath.Join(cfg.Root, ".data"), "bench-"); err != nil {
			return rep, err
		}
	}
	if !cfg.Keep {
		defer os.RemoveAll(e.WorkDir)
	}
	if cfg.DBURL != "" {
		e.DBURL = cfg.DBURL
	} else {
		server := os.Getenv("DATABASE_URL")
		if server == "" {
			if server, err = devpg.New(cfg.Root, os.Stderr).Ensure(ctx); err != nil { // make bench ran make db, which installs
				return rep, err
			}
		}
		logf("creating database %s", benchDB)
		if e.DBURL, err = createDatabase(ctx, server, benchDB); err != nil {
			return rep, fmt.Errorf("create %s: %w", benchDB, err)
		}
		defer func() {
			if cfg.Keep {
				logf("kept database %s and %s", e.DBURL, e.WorkDir)
				return
			}
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = dropDatabase(dctx, server, benchDB)
		}()
	}
	if err := e.prepare(ctx); err != nil {
		return rep, err
	}
	defer e.Pool.Close()
	rep.Postgres = e.PGVersion

	gwPort, err := freePort()
	if err != nil {
		return rep, err
	}
	gwAddr := "127.0.0.1:" + strconv.Itoa(gwPort)
	// The gateway takes the sandbox credentials from CIVICPAY_SANDBOX_URL.
	// No scenario makes it call a provider, so when bin/banksim is missing
	// the URL points nowhere.
	sandboxURL := "http://127.0.0.1:1"
	if st, err := os.Stat(cfg.Banksim); err == nil && !st.IsDir() {
		port, err := freePort()
		if err != nil {
			return rep, err
		}
		sandboxURL = "http://127.0.0.1:" + strconv.Itoa(port)
		e.Sandbox = exec.Command(cfg.Banksim, "--addr", "127.0.0.1:"+strconv.Itoa(port), "--gateway", "http://"+gwAddr,
			"--report-dir", e.WorkDir)
		e.Sandbox.Stdout, e.Sandbox.Stderr = io.Discard, io.Discard
		e.Sandbox.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := e.Sandbox.Start(); err != nil {
			return rep, fmt.Errorf("sandbox: %w", err)
		}
		defer func() { _ = e.Sandbox.Process.Kill(); _ = e.Sandbox.Wait() }()
	}
	logf("starting the gateway (%s serve)", cfg.Civicpay)
	if e.Gateway, err = startGateway(ctx, cfg.Civicpay, gwAddr, e.DBURL, sandboxURL, filepath.Join(e.WorkDir, "gateway.log")); err != nil {
		return rep, err
	}
	defer e.Gateway.Stop()
	time.Sleep(cfg.Settle)
	if e.idleRSS, _, err = e.Gateway.Memory(); err != nil {
		return rep, err
	}
	// Fixtures for reads and lists: a portal with a realistic history.
	if _, err := e.precreate(ctx, cfg.Fixtures); err != nil {
		return rep, err
	}
	if _, err := e.Pool.Exec(ctx, `ANALYZE`); err != nil {
		return rep, err
	}

	var (
		levels []SettleLevel
		cbs    *callbacks
		apis   map[string]*APIResult
	)
	step := func(name, title string, fn func() error) error {
		if !cfg.on(name) {
			return nil
		}
		logf("%s", title)
		t0 := time.Now()
		err := fn()
		logf("  (%s)", time.Since(t0).Round(100*time.Millisecond))
		if err != nil {
			rep.problem("%s: %v", title, err)
		}
		return err
	}
	var errs []error
	errs = append(errs, step("settle", "1. settlement callbacks", func() error {
		return e.profiled(ctx, cfg, "settle", func() (err error) {
			levels, cbs, err = e.settlement(ctx, cfg, rep)
			return err
		})
	}))
	if cbs == nil {
		var account string
		_ = e.Pool.QueryRow(ctx, `SELECT account_number FROM agencies WHERE code = 'KBNN-HN'`).Scan(&account)
		cbs = newCallbacks(e.Gateway.URL, account, 50)
	}
	errs = append(errs, step("api", "2–3. create, read and list payments", func() error {
		return e.profiled(ctx, cfg, "api", func() (err error) {
			apis, err = e.api(ctx, cfg, rep)
			return err
		})
	}))
	if levels != nil && apis != nil {
		errs = append(errs, step("latency", "4. latency at half the maximum", func() error {
			return e.latency(ctx, cfg, levels, cbs, apis, rep)
		}))
	}
	errs = append(errs, step("memory", "5. memory and status streams", func() error {
		return e.memory(ctx, cfg, cbs, rep)
	}))
	if cfg.on("settle") {
		e.verifySettlement(ctx, cbs, rep)
	}
	errs = append(errs, step("reconcile", "6. reconciliation", func() error {
		known, err := e.precreate(ctx, 16)
		if err != nil {
			return err
		}
		return e.reconciliation(ctx, cfg, known, rep)
	}))
	errs = append(errs, step("widget", "7. widget", func() error {
		return e.widget(ctx, cfg, rep)
	}))
	if _, peak, err := e.Gateway.Memory(); err == nil {
		rep.section("Gateway process", fmt.Sprintf("- peak RSS over the whole run (VmHWM): %.1f MB; idle after start: %.1f MB", float64(peak)/mb, float64(e.idleRSS)/mb))
	}
	return rep, errors.Join(errs...)
}
