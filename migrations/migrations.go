// Package migrations holds the schema as plain, forward-only SQL files and
// applies them with jackc/tern (each file in its own transaction, under an
// advisory lock so two gateways starting together do not race), followed by
// River's own migrations for the durable job queue.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// FS is the embedded SQL, for tools that hash or list it.
func FS() fs.FS { return files }

const versionTable = "public.schema_version"

// Up applies every pending migration: ours, then River's.
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	m, err := migrator(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// Status reports the applied and the latest version of our own migrations,
// and whether River's are all applied; /readyz uses it.
func Status(ctx context.Context, pool *pgxpool.Pool) (current, latest int32, riverCurrent bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer conn.Release()
	m, err := migrator(ctx, conn.Conn())
	if err != nil {
		return 0, 0, false, err
	}
	if current, err = m.GetCurrentVersion(ctx); err != nil {
		return 0, 0, false, err
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return 0, 0, false, err
	}
	existing, err := rm.ExistingVersions(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	return current, int32(len(m.Migrations)), len(existing) >= len(rm.AllVersions()), nil
}

func migrator(ctx context.Context, conn *pgx.Conn) (*migrate.Migrator, error) {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return nil, err
	}
	if err := appendAll(m); err != nil {
		return nil, err
	}
	return m, nil
}

// appendAll adds every file in name order. tern's own LoadMigrations refuses
// a gap in the numbering, and branches developed in parallel each own a
// number (009 may land before 006), so the version is the file's position.
// The files use no tern templates.
func appendAll(m *migrate.Migrator) error {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		m.AppendMigration(name, string(body), "")
	}
	return nil
}
