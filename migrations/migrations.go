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
	"regexp"
	"strconv"
	"testing/fstest"

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
	gapless, err := fillGaps(files)
	if err != nil {
		return nil, err
	}
	if err := m.LoadMigrations(gapless); err != nil {
		return nil, err
	}
	return m, nil
}

var numbered = regexp.MustCompile(`\A(\d+)_.+\.sql\z`)

// fillGaps presents every number missing below the highest as a no-op
// migration. Parallel branches are given migration numbers before they
// merge, and tern refuses a gap, so a branch holding 006 without 005 could
// not migrate at all. Once every number is present this changes nothing.
// A database migrated across a gap records the later version, so the
// missing file, when it arrives, must be applied to it by hand: only
// throwaway databases (tests, a branch's own .data) should ever see a gap.
func fillGaps(src fs.FS) (fs.FS, error) {
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	have := map[int]bool{}
	highest := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(src, e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = &fstest.MapFile{Data: body}
		if m := numbered.FindStringSubmatch(e.Name()); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return nil, err
			}
			have[n] = true
			highest = max(highest, n)
		}
	}
	for n := 1; n < highest; n++ {
		if !have[n] {
			out[fmt.Sprintf("%03d_not_merged_yet.sql", n)] = &fstest.MapFile{Data: []byte("-- a number given to a branch not merged here\nSELECT 1;\n")}
		}
	}
	return out, nil
}
