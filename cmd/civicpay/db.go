package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/internal/devpg"
	"github.com/civicpay/civicpay/migrations"
)

// runtimeURL is what the gateway serves with: DATABASE_URL when set (the
// operator chose its role), else the private cluster's runtime role, which
// may only append to the ledger; migrateURL is what it migrates with.
func runtimeURL(explicit string) (string, error) {
	if explicit != "" || os.Getenv("DATABASE_URL") != "" {
		return databaseURL(explicit)
	}
	if root, err := checkoutRoot(); err == nil {
		if b, err := os.ReadFile(filepath.Join(root, ".data", "runtime_url")); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
	}
	return databaseURL("")
}

// migrateURL is CIVICPAY_MIGRATE_DATABASE_URL, else the owner's URL.
func migrateURL(explicit, runtime string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if os.Getenv("DATABASE_URL") != "" {
		return runtime, nil
	}
	return databaseURL("")
}

// databaseURL is DATABASE_URL, else the URL the private cluster recorded.
func databaseURL(explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	root, err := checkoutRoot()
	if err == nil {
		if b, err := os.ReadFile(filepath.Join(root, ".data", "database_url")); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
	}
	return "", errors.New("DATABASE_URL is not set and no private cluster is recorded in .data/; run 'make run' or 'civicpay devdb up'")
}

func checkoutRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return devpg.FindRoot(wd)
}

func openPool(ctx context.Context, url string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

func migrateCmd(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("migrate takes no arguments")
	}
	url, err := databaseURL("")
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, url, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	cur, _, _, err := migrations.Status(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Println("migrations applied; schema version", cur)
	return nil
}

// migrateWith applies the migrations as the schema's owner.
func migrateWith(ctx context.Context, explicit, runtime string) error {
	u, err := migrateURL(explicit, runtime)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, u, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrations.Up(ctx, pool)
}

func devdbCmd(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: civicpay devdb up|stop|url")
	}
	root, err := checkoutRoot()
	if err != nil {
		return err
	}
	c := devpg.New(root, os.Stderr)
	c.Install = true // run by the Makefile, never by a test
	switch args[0] {
	case "up", "url":
		u, err := c.Ensure(ctx)
		if err != nil {
			return err
		}
		if _, err := c.EnsureRuntime(ctx, u); err != nil {
			return err
		}
		if args[0] == "url" {
			fmt.Println(u)
		}
		return nil
	case "stop":
		return c.Stop(ctx)
	}
	return fmt.Errorf("devdb: unknown action %q (want up, stop or url)", args[0])
}
