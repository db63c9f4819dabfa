package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/migrations"
)

// benchDB is the database every `make bench` run recreates, so runs never
// see each other's rows and nothing accumulates on the shared cluster.
const benchDB = "civicpay_bench"

// Env is one run's database, gateway and tools.
type Env struct {
	Root    string
	WorkDir string // scratch files of this run (reports, logs)
	DBURL   string
	Pool    *pgxpool.Pool
	Portal  portals.Created

	Gateway *Gateway
	Sandbox *exec.Cmd
	PGBin   string // directory holding pgbench and psql
	Civic   string // the civicpay binary the gateway runs from

	PGVersion string

	idleRSS    int64           // the gateway's RSS right after start
	settle     time.Duration   // pause between measurements
	checkpoint bool            // CHECKPOINT before each measurement
	fixtures   int64           // pre-created payments so far
	codes      map[string]bool // their payment codes
}

// createDatabase drops and recreates name on the server of serverURL and
// returns the URL of the new database, migrated.
func createDatabase(ctx context.Context, serverURL, name string) (string, error) {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return "", err
	}
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+id); err != nil {
		return "", err
	}
	u := withDatabase(serverURL, name)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	return u, migrations.Up(ctx, pool)
}

func dropDatabase(ctx context.Context, serverURL, name string) error {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return err
	}
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func withDatabase(u, db string) string {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return u + " dbname=" + db
	}
	parsed.Path = "/" + db
	return parsed.String()
}

// prepare seeds the database (demo catalogue and portal) and opens the
// bench's own pool on it.
func (e *Env) prepare(ctx context.Context) error {
	pool, err := pgxpool.New(ctx, e.DBURL)
	if err != nil {
		return err
	}
	e.Pool = pool
	seeded, err := demo.Seed(ctx, pool, "")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	e.Portal = seeded.Portal
	// The demo portal is limited to 1,200 requests a minute, which is the
	// limiter's job to enforce, not what this benchmark measures: the bench
	// portal gets a limit it cannot reach (the limiter still runs).
	if _, err := pool.Exec(ctx, `UPDATE portals SET rate_per_minute = 1000000000 WHERE id = $1`, e.Portal.ID); err != nil {
		return err
	}
	if err := pool.QueryRow(ctx, `SHOW server_version`).Scan(&e.PGVersion); err != nil {
		return err
	}
	var num int
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&num); err != nil {
		return err
	}
	e.PGBin, err = findPGBin(num / 10000)
	return err
}

// findPGBin finds the client tools of the server's major version.
func findPGBin(major int) (string, error) {
	cands := []string{fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		cands = append(cands, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		cands = append(cands, filepath.Dir(p))
	}
	for _, d := range cands {
		if st, err := os.Stat(filepath.Join(d, "pgbench")); err == nil && st.Mode()&0o111 != 0 {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgbench (PostgreSQL %d) not found: install Debian's postgresql-%d (or postgresql-client-%d)", major, major, major)
}

// Gateway is `civicpay serve` in a child process, so its memory is its own.
type Gateway struct {
	URL  string
	Addr string
	cmd  *exec.Cmd
	log  *os.File
	done chan error
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is our environment without settings meant for another gateway:
// civicpay refuses unknown CIVICPAY_* variables, and ours must win.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CIVICPAY_") || strings.HasPrefix(kv, "DATABASE_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startGateway runs bin serve on addr against dbURL and waits until it is
// ready.
func startGateway(ctx context.Context, bin, addr, dbURL, sandboxURL, logPath string) (*Gateway, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = childEnv("DATABASE_URL="+dbURL, "CIVICPAY_ADDR="+addr, "CIVICPAY_MIGRATE=false")
	if sandboxURL != "" {
		cmd.Env = append(cmd.Env, "CIVICPAY_SANDBOX_URL="+sandboxURL)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// The gateway must not outlive the bench, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	g := &Gateway{URL: "http://" + addr, Addr: addr, cmd: cmd, log: logf, done: make(chan error, 1)}
	go func() { g.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-g.done:
			logf.Close()
			return nil, fmt.Errorf("the gateway exited at start (%v); see %s", err, logPath)
		default:
		}
		res, err := http.Get(g.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		if time.Now().After(deadline) {
			g.Stop()
			return nil, fmt.Errorf("the gateway was not ready within 60 s; see %s", logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Pid is the gateway's process id.
func (g *Gateway) Pid() int { return g.cmd.Process.Pid }

// Memory returns the gateway's resident set now and its peak so far, in bytes.
func (g *Gateway) Memory() (rss, peak int64, err error) {
	return procMemory(g.Pid())
}

func procMemory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			peak = n * 1024
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, peak, sc.Err()
}

// Stop asks the gateway to shut down, then kills it.
func (g *Gateway) Stop() {
	if g == nil || g.cmd.Process == nil {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
	g.log.Close()
}

// raiseFileLimit lifts the open-files limit to want (the hard limit too
// when we may, as root), else as far as the hard limit allows; children
// (the gateway) inherit it. 10,000 event streams need 10,000 sockets on
// each side.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want {
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}) == nil {
			return want, nil
		}
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// machine describes the box for the record.
func machine() (cores int, memory string) {
	cores = runtime.NumCPU()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return cores, "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return cores, fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return cores, "?"
}

// commit names the checkout's commit, marked dirty when files changed.
func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}
