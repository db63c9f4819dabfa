// Package devpg runs the private PostgreSQL cluster that `make run`, `make test`
// and `make bench` use when DATABASE_URL is unset.
//
// It is the only bootstrap code in the project: the Makefile calls it through
// `civicpay devdb`, and tests call it through internal/pgtest, so the two can
// never drift apart. The cluster lives in .data/pg (gitignored), listens on
// 127.0.0.1 on a free port and on a unix socket inside .data, and its URL is
// written to .data/database_url for every later command to find.
//
// PostgreSQL refuses to run as root. When we are root (CI is), the cluster is
// owned by and run as the unprivileged "postgres" system user that Debian's
// package creates.
package devpg

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster describes one private cluster rooted in a project checkout.
type Cluster struct {
	Root string    // the checkout; .data lives below it
	Log  io.Writer // progress messages for humans; may be nil
	// Install lets Ensure install Debian's postgresql package when the
	// server is missing. Only the commands the Makefile runs set it: a
	// test never installs anything, it says what to run instead.
	Install bool
	binDir  string
	runAs   *user.User // nil when we are not root
	// base replaces .data/pg when the postgres user cannot reach the
	// checkout, or its path is too long for a unix socket.
	base string
}

const (
	dbName = "civicpay"
	dbUser = "civicpay"
)

// New returns the cluster for the checkout at root.
func New(root string, log io.Writer) *Cluster {
	if log == nil {
		log = io.Discard
	}
	return &Cluster{Root: root, Log: log}
}

func (c *Cluster) dataRoot() string { return filepath.Join(c.Root, ".data") }
func (c *Cluster) pgDir() string {
	if c.base != "" {
		return c.base
	}
	return filepath.Join(c.dataRoot(), "pg")
}
func (c *Cluster) dataDir() string { return filepath.Join(c.pgDir(), "data") }
func (c *Cluster) sockDir() string { return filepath.Join(c.pgDir(), "run") }
func (c *Cluster) logFile() string { return filepath.Join(c.pgDir(), "server.log") }

// Dir is where the cluster's files are (after Ensure or Stop).
func (c *Cluster) Dir() string { return c.pgDir() }

// URLFile is where the cluster's connection URL is kept.
func (c *Cluster) URLFile() string { return filepath.Join(c.dataRoot(), "database_url") }

// Ensure makes sure the cluster exists, runs and has the civicpay database,
// and returns its URL. It is safe to call from many processes at once (a file
// lock serialises them) and after a crash (stale pid files, a port now taken).
func (c *Cluster) Ensure(ctx context.Context) (string, error) {
	if err := os.MkdirAll(c.dataRoot(), 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(c.dataRoot(), "devpg.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	if b, err := os.ReadFile(c.URLFile()); err == nil {
		u := strings.TrimSpace(string(b))
		if ping(ctx, u) == nil {
			return u, nil
		}
		// The server answers but the database is gone (dropped by hand):
		// make it again rather than restart a cluster others are using.
		if createDatabase(ctx, u) == nil && ping(ctx, u) == nil {
			return u, nil
		}
	}
	if err := c.prepare(ctx); err != nil {
		return "", err
	}
	password, err := c.password()
	if err != nil {
		return "", err
	}
	if err := c.initdb(ctx, password); err != nil {
		return "", err
	}
	port, err := c.start(ctx, c.recordedPort())
	if err != nil {
		return "", err
	}
	dsn := (&url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(dbUser, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + dbName,
		RawQuery: "sslmode=disable",
	}).String()
	if err := createDatabase(ctx, dsn); err != nil {
		return "", err
	}
	if err := os.WriteFile(c.URLFile(), []byte(dsn+"\n"), 0o600); err != nil {
		return "", err
	}
	fmt.Fprintf(c.Log, "devpg: PostgreSQL running on 127.0.0.1:%d (data in %s)\n", port, c.dataDir())
	return dsn, nil
}

// Stop stops the cluster if it runs. It is not an error when it does not.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := c.prepare(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err != nil {
		return nil
	}
	if _, alive := c.postmaster(); !alive {
		return nil
	}
	// The URL stays recorded: the next start reuses its port, so a running
	// gateway reconnects by itself once the cluster is back.
	return c.stopServer(ctx)
}

// prepare finds (or installs) the server binaries and decides who runs them.
func (c *Cluster) prepare(ctx context.Context) error {
	dir, err := findBinDir()
	if err != nil {
		if !c.Install {
			return errors.New("PostgreSQL server binaries are missing: run 'make db' (it installs Debian's postgresql package) or set DATABASE_URL")
		}
		if err := installPostgres(ctx, c.Log); err != nil {
			return err
		}
		if dir, err = findBinDir(); err != nil {
			return errors.New("PostgreSQL server binaries are still missing after installing; install Debian's postgresql package or set DATABASE_URL")
		}
	}
	c.binDir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return errors.New("running as root needs the unprivileged 'postgres' system user (created by Debian's postgresql package) to run the private cluster; install postgresql or set DATABASE_URL")
		}
		c.runAs = u
	}
	c.chooseBase()
	return nil
}

// chooseBase keeps the cluster in .data/pg when it can, else in a folder of
// its own under the temp dir, named after the checkout so every command of
// this checkout finds the same cluster. A checkout under /root (mode 0700)
// is the usual reason: PostgreSQL must run as postgres, who cannot enter it.
func (c *Cluster) chooseBase() {
	inside := filepath.Join(c.dataRoot(), "pg", "run", ".s.PGSQL.65535.lock")
	reachable := c.runAs == nil || c.run(context.Background(), false, "/usr/bin/test", "-x", c.dataRoot()) == nil
	if reachable && len(inside) < 100 {
		return
	}
	sum := sha256.Sum256([]byte(c.Root))
	c.base = filepath.Join(os.TempDir(), "civicpay-pg-"+hex.EncodeToString(sum[:6]))
	fmt.Fprintln(c.Log, "devpg: the cluster lives in", c.base, "(the postgres user cannot use", c.dataRoot()+")")
}

func (c *Cluster) bin(name string) string { return filepath.Join(c.binDir, name) }

// findBinDir looks where Debian and pg_config put initdb and pg_ctl.
func findBinDir() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(globbed, func(i, j int) bool { return versionOf(globbed[i]) > versionOf(globbed[j]) })
	candidates = append(candidates, globbed...)
	for _, d := range candidates {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// installPostgres installs Debian's postgresql package, as root or via
// passwordless sudo; anything else is one clear sentence for the human.
func installPostgres(ctx context.Context, log io.Writer) error {
	const advice = "PostgreSQL is not installed: run 'apt-get install postgresql' as root (or set DATABASE_URL to a server you have)"
	var prefix []string
	switch {
	case os.Geteuid() == 0:
	case exec.Command("sudo", "-n", "true").Run() == nil:
		prefix = []string{"sudo", "-n"}
	default:
		return errors.New(advice)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New(advice)
	}
	fmt.Fprintln(log, "devpg: PostgreSQL server not found; installing Debian's postgresql package with apt-get")
	for _, args := range [][]string{{"apt-get", "update", "-q"}, {"apt-get", "install", "-y", "-q", "postgresql"}} {
		full := append(append([]string{}, prefix...), args...)
		cmd := exec.CommandContext(ctx, full[0], full[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s (%s failed: %v)", advice, strings.Join(args, " "), err)
		}
	}
	return nil
}

// password returns the superuser password of the cluster, making one the
// first time. It is kept beside the URL, readable only by us.
func (c *Cluster) password() (string, error) {
	p := filepath.Join(c.dataRoot(), "pg_password")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(buf)
	return pw, os.WriteFile(p, []byte(pw+"\n"), 0o600)
}

func (c *Cluster) initdb(ctx context.Context, password string) error {
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		return c.ownDirs()
	}
	// A half-made data directory from an interrupted initdb cannot be reused.
	if err := os.RemoveAll(c.pgDir()); err != nil {
		return err
	}
	if err := os.MkdirAll(c.sockDir(), 0o700); err != nil {
		return err
	}
	if err := c.ownDirs(); err != nil {
		return err
	}
	pwFile := filepath.Join(c.pgDir(), "initdb.pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwFile)
	if err := c.chown(pwFile); err != nil {
		return err
	}
	fmt.Fprintln(c.Log, "devpg: creating a private PostgreSQL cluster in", c.dataDir())
	err := c.run(ctx, false, c.bin("initdb"), "-D", c.dataDir(), "-U", dbUser,
		"--pwfile="+pwFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync")
	if err != nil {
		_ = os.RemoveAll(c.dataDir())
		return fmt.Errorf("initdb: %w", err)
	}
	return nil
}

// ownDirs hands .data/pg to the postgres user when we are root, after checking
// that user can reach it at all (a checkout under /root cannot be).
func (c *Cluster) ownDirs() error {
	if c.runAs == nil {
		return nil
	}
	return filepath.Walk(c.pgDir(), func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return c.chown(p)
	})
}

func (c *Cluster) chown(p string) error {
	if c.runAs == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.runAs.Uid)
	gid, _ := strconv.Atoi(c.runAs.Gid)
	return os.Lchown(p, uid, gid)
}

// postmaster reads the server's pid file and says whether that process
// really lives. pg_ctl status cannot tell: where PID 1 does not reap orphans,
// a killed postmaster lingers as a zombie that kill(pid, 0) still finds.
func (c *Cluster) postmaster() (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return pid, false
	}
	// The state is the first field after the parenthesised command name.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return pid, stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return pid, true
}

// stopServer asks the server to stop, and kills it if it will not.
func (c *Cluster) stopServer(ctx context.Context) error {
	err := c.run(ctx, false, c.bin("pg_ctl"), "stop", "-D", c.dataDir(), "-m", "fast", "-w", "-t", "30")
	pid, alive := c.postmaster()
	if err != nil && alive {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; i < 50 && alive; i++ {
			time.Sleep(100 * time.Millisecond)
			_, alive = c.postmaster()
		}
	}
	if alive {
		return fmt.Errorf("could not stop PostgreSQL (pid %d): %v", pid, err)
	}
	_ = os.Remove(filepath.Join(c.dataDir(), "postmaster.pid"))
	return nil
}

// start (re)starts the server on a fresh free port. A server that runs but
// did not answer on the recorded URL is restarted, since its port is unknown.
func (c *Cluster) start(ctx context.Context, preferred int) (int, error) {
	if _, alive := c.postmaster(); alive {
		fmt.Fprintln(c.Log, "devpg: restarting a running cluster that did not answer on its recorded URL")
		if err := c.stopServer(ctx); err != nil {
			return 0, err
		}
	}
	// No server runs, so a postmaster.pid and socket lock files left by a
	// crash are stale (they may name a zombie that looks alive to the server).
	_ = os.Remove(filepath.Join(c.dataDir(), "postmaster.pid"))
	if stale, err := filepath.Glob(filepath.Join(c.sockDir(), ".s.PGSQL.*")); err == nil {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		if attempt == 0 && preferred > 0 && waitPortFree(preferred) {
			port = preferred
		}
		opts := strings.Join([]string{
			"-c listen_addresses=127.0.0.1",
			"-c port=" + strconv.Itoa(port),
			"-c unix_socket_directories=" + c.sockDir(),
			"-c max_connections=300",
			"-c shared_buffers=256MB",
		}, " ")
		lastErr = c.run(ctx, true, c.bin("pg_ctl"), "start", "-D", c.dataDir(), "-w", "-t", "60", "-l", c.logFile(), "-o", opts)
		if lastErr == nil {
			return port, nil
		}
		fmt.Fprintf(c.Log, "devpg: start on port %d failed, trying another: %v\n", port, lastErr)
	}
	return 0, fmt.Errorf("pg_ctl start failed (see %s): %w", c.logFile(), lastErr)
}

// run executes a PostgreSQL tool, as the postgres user when we are root.
// detach puts it in its own session so Ctrl-C on `make run` does not reach
// the server it starts.
func (c *Cluster) run(ctx context.Context, detach bool, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = "/"
	attr := &syscall.SysProcAttr{Setsid: detach}
	if c.runAs != nil {
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cmd.Env = append(os.Environ(), "HOME="+c.runAs.HomeDir, "USER=postgres", "LOGNAME=postgres")
	}
	cmd.SysProcAttr = attr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args[:1], " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// recordedPort is the port of the last recorded URL, 0 if none.
func (c *Cluster) recordedPort() int {
	b, err := os.ReadFile(c.URLFile())
	if err != nil {
		return 0
	}
	u, err := url.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// waitPortFree gives the children of a killed server a few seconds to
// notice and let go of its port.
func waitPortFree(port int) bool {
	for i := 0; i < 30; i++ {
		if portFree(port) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

func createDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbName).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize())
	return err
}

func lockFile(p string) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// FindRoot walks up from dir to the folder holding go.mod: the checkout.
func FindRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ServerInstalled reports whether PostgreSQL's server binaries are present,
// so a test that needs a cluster of its own can skip instead of installing.
func ServerInstalled() bool {
	_, err := findBinDir()
	return err == nil
}
