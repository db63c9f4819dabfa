package pg_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/internal/pgtest"
)

// TestPipelineIsOneTransaction holds pg.Pipeline to what a pgx.Tx gives:
// everything commits together or nothing does, a statement that fails
// stops the COMMIT queued behind it, and the pool stays usable.
func TestPipelineIsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE pipe (k int PRIMARY KEY, v text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pipe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		name      string
		first     []string // statements of the first batch
		middle    string   // run on Conn between the batches
		last      []string // statements of the last batch, sent with COMMIT
		closeOnly bool     // Close without Commit
		wantErr   bool
		wantRows  int // rows added
	}{
		{name: "commit", first: []string{`INSERT INTO pipe VALUES (1, 'a')`}, middle: `INSERT INTO pipe VALUES (2, 'b')`,
			last: []string{`INSERT INTO pipe VALUES (3, 'c')`}, wantRows: 3},
		{name: "error in the last batch skips its commit", first: []string{`INSERT INTO pipe VALUES (10, 'a')`},
			last: []string{`INSERT INTO pipe VALUES (11, NULL)`, `INSERT INTO pipe VALUES (12, 'c')`}, wantErr: true},
		{name: "error in the first batch", first: []string{`INSERT INTO pipe VALUES (20, 'a')`, `INSERT INTO pipe VALUES (20, 'dup')`}, wantErr: true},
		{name: "closed without commit", first: []string{`INSERT INTO pipe VALUES (30, 'a')`}, closeOnly: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count()
			batch := func(sqls []string) *pgx.Batch {
				b := &pgx.Batch{}
				for _, q := range sqls {
					b.Queue(q)
				}
				return b
			}
			err := func() error {
				tx, err := pg.BeginPipeline(ctx, pool, batch(tc.first))
				if err != nil {
					return err
				}
				defer tx.Close(ctx)
				if tc.middle != "" {
					if _, err := tx.Conn.Exec(ctx, tc.middle); err != nil {
						return err
					}
				}
				if tc.closeOnly {
					return nil
				}
				return tx.Commit(ctx, batch(tc.last))
			}()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got := count() - before; got != tc.wantRows {
				t.Fatalf("%d rows added, want %d", got, tc.wantRows)
			}
		})
	}
	// Every pooled connection is out of its transaction (or was dropped).
	for _, c := range pool.AcquireAllIdle(ctx) {
		if st := c.Conn().PgConn().TxStatus(); st != 'I' {
			t.Errorf("a pooled connection is in transaction state %q", st)
		}
		c.Release()
	}
}
