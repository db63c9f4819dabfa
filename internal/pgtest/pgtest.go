// Package pgtest gives each test a fresh, migrated, isolated PostgreSQL
// database cloned from a template, so database tests run in parallel against
// a real server and never see each other's rows.
//
// The server is DATABASE_URL when set, else the private cluster of
// internal/devpg (started on first use). The template is named after a hash
// of the migrations, so a schema change builds a new one and an unchanged
// schema is migrated once for all test binaries.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/internal/devpg"
	"github.com/civicpay/civicpay/migrations"
)

var (
	setupOnce sync.Once
	baseURL   string
	tmplName  string
	setupErr  error
)

// ServerURL returns the URL of the server tests use, starting the private
// cluster when DATABASE_URL is unset.
func ServerURL(ctx context.Context) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := devpg.FindRoot(wd)
	if err != nil {
		return "", err
	}
	return devpg.New(root, os.Stderr).Ensure(ctx)
}

// NewURL creates a fresh database for t and returns its URL; it is dropped
// when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	setupOnce.Do(func() { setupErr = setup(ctx) })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	name := "t_" + randHex(8)
	admin, err := connectAdmin(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(tmplName)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := connectAdmin(ctx)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabaseURL(baseURL, name)
}

// New returns a pool on a fresh database for t, closed when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewURL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func setup(ctx context.Context) error {
	u, err := ServerURL(ctx)
	if err != nil {
		return err
	}
	baseURL = u
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	tmplName = "civicpay_tmpl_" + sum[:12]
	admin, err := connectAdmin(ctx)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	// One test binary builds the template; the others wait here, then find it.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(727274)")
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmplName).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := tmplName + "_building"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(building)+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident(building)); err != nil {
		return err
	}
	if err := migrateURL(ctx, withDatabaseURL(baseURL, building)); err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+ident(building)+" RENAME TO "+ident(tmplName))
	return err
}

func migrateURL(ctx context.Context, u string) error {
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrations.Up(ctx, pool)
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := migrations.FS().Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		io.WriteString(h, p)
		_, err = io.Copy(h, f)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func connectAdmin(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(baseURL)
	if err != nil {
		return nil, err
	}
	cfg.Database = "postgres"
	return pgx.ConnectConfig(ctx, cfg)
}

// withDatabaseURL points a URL or key=value connection string at db.
func withDatabaseURL(u, db string) string {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return u + " dbname=" + db
	}
	parsed.Path = "/" + db
	return parsed.String()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
