package devpg_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/internal/devpg"
	"github.com/civicpay/civicpay/migrations"
)

// TestPrivateClusterLifecycle runs the same bootstrap `make run` and CI use
// (as the postgres user when the test runs as root) on a throwaway checkout:
// start, start again, survive a SIGKILL, and readiness that follows the
// database down and back up without restarting the gateway.
func TestPrivateClusterLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	root, err := os.MkdirTemp("", "civicpay-devpg-")
	if err != nil {
		t.Fatal(err)
	}
	// The postgres user must be able to reach the folder when we are root.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	c := devpg.New(root, io.Discard)
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		if !t.Failed() {
			_ = os.RemoveAll(root)
		}
	})
	ctx := context.Background()
	url, err := c.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "postgres://civicpay:") || !strings.Contains(url, "@127.0.0.1:") {
		t.Fatalf("url = %s", url)
	}
	if os.Geteuid() == 0 {
		st, err := os.Stat(filepath.Join(root, ".data", "pg", "data"))
		if err != nil {
			t.Fatal(err)
		}
		if uid := st.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Fatal("as root, the data directory must belong to the postgres user")
		}
	}
	again, err := c.Ensure(ctx)
	if err != nil || again != url {
		t.Fatalf("second Ensure = %s, %v; want the same URL", again, err)
	}
	recorded, _ := os.ReadFile(c.URLFile())
	if strings.TrimSpace(string(recorded)) != url {
		t.Fatal("the URL is not recorded in .data/database_url")
	}

	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Echo)
	defer srv.Close()
	ready := func() int {
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := ready(); code != 200 {
		t.Fatalf("readyz = %d", code)
	}

	// A crash: the postmaster dies without cleaning up.
	pidFile, _ := os.ReadFile(filepath.Join(root, ".data", "pg", "data", "postmaster.pid"))
	pid, _ := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ready, 503)
	if url2, err := c.Ensure(ctx); err != nil || url2 != url {
		t.Fatalf("Ensure after a crash = %s, %v; want the same URL back", url2, err)
	}
	waitStatus(t, ready, 200) // the same gateway, reconnected by itself

	// A clean stop and start: readiness follows, still without a restart.
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ready, 503)
	if _, err := c.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ready, 200)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stopping a stopped cluster: %v", err)
	}
}

func waitStatus(t *testing.T, ready func() int, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for ready() != want {
		if time.Now().After(deadline) {
			t.Fatalf("readyz never became %d", want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A checkout the postgres user cannot enter (as under /root) still gets a
// cluster, kept in a folder of its own under the temp dir.
func TestPrivateCheckoutFallsBackToTempDir(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root, where the cluster runs as the postgres user")
	}
	root, err := os.MkdirTemp("", "civicpay-private-") // mode 0700: postgres cannot enter
	if err != nil {
		t.Fatal(err)
	}
	c := devpg.New(root, io.Discard)
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		_ = os.RemoveAll(c.Dir())
		_ = os.RemoveAll(root)
	})
	url, err := c.Ensure(context.Background())
	if err != nil {
		t.Fatalf("Ensure in a private checkout: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".data", "pg")); err == nil {
		t.Fatal("the cluster was put inside the private checkout")
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again, err := c.Ensure(context.Background()); err != nil || again != url {
		t.Fatalf("second Ensure = %s, %v", again, err)
	}
}
