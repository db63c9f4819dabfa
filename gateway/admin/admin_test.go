package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestAllow(t *testing.T) {
	t.Parallel()
	staff := admin.Principal{Role: admin.AgencyStaff, Agencies: []string{"KBNN-HN"}}
	for _, c := range []struct {
		name   string
		p      admin.Principal
		write  bool
		agency string
		ok     bool
	}{
		{"operator writes anything", admin.Principal{Role: admin.Operator}, true, "", true},
		{"support reads", admin.Principal{Role: admin.Support}, false, "KBNN-HN", true},
		{"support cannot write", admin.Principal{Role: admin.Support}, true, "KBNN-HN", false},
		{"staff writes own agency", staff, true, "KBNN-HN", true},
		{"staff reads own agency", staff, false, "KBNN-HN", true},
		{"staff cannot read another agency", staff, false, "KBNN-HCM", false},
		{"staff cannot write global objects", staff, true, "", false},
		{"staff cannot read global objects", staff, false, "", false},
		{"no role, nothing", admin.Principal{}, false, "KBNN-HN", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.p.Allow(c.write, c.agency)
			if (err == nil) != c.ok || err != nil && !errors.Is(err, admin.ErrForbidden) {
				t.Fatalf("Allow(%v, %q) = %v, want ok=%v", c.write, c.agency, err, c.ok)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   any
		want string
	}{
		{map[string]any{"secret_key": "abcd", "access_key": "x", "key1": "k", "key": "k"}, `{"access_key":"[redacted]","key":"[redacted]","key1":"[redacted]","secret_key":"[redacted]"}`},
		{map[string]any{"webhook_secret": "whsec_1", "hash_secret": "h", "checksum_key": "c", "password": "p", "token": "t"}, `{"checksum_key":"[redacted]","hash_secret":"[redacted]","password":"[redacted]","token":"[redacted]","webhook_secret":"[redacted]"}`},
		{map[string]any{"hint": "ak_abc…wxyz", "secret_key_last4": "wxyz", "key_id": "key_1", "name": "Kho bạc"}, `{"hint":"ak_abc…wxyz","key_id":"key_1","name":"Kho bạc","secret_key_last4":"wxyz"}`},
		{map[string]any{"nested": []any{map[string]any{"api_key": "s"}}}, `{"nested":[{"api_key":"[redacted]"}]}`},
		{map[string]any{"secret": nil}, `{"secret":null}`},
	} {
		got, err := admin.Redact(c.in)
		if err != nil || string(got) != c.want {
			t.Errorf("Redact(%v) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if got, _ := admin.Redact(nil); got != nil {
		t.Errorf("Redact(nil) = %s, want nil (SQL NULL)", got)
	}
}

func TestBootstrapOnceEvenWhenRacing(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]error, 4)
	keys := make([]admin.CreatedKey, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], results[i] = admin.Bootstrap(ctx, pool, "first operator")
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range results {
		switch {
		case err == nil && won == -1:
			won = i
		case err == nil:
			t.Fatalf("two bootstraps succeeded")
		case !errors.Is(err, admin.ErrBootstrapped):
			t.Fatalf("bootstrap %d: %v, want ErrBootstrapped", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no bootstrap succeeded")
	}
	k := keys[won]
	if !strings.HasPrefix(k.Secret, "ak_") || !strings.HasSuffix(k.Hint, k.Secret[len(k.Secret)-4:]) || strings.Contains(k.Hint, k.Secret[7:len(k.Secret)-4]) {
		t.Fatalf("secret %q hint %q: want ak_ and a hint with only the last 4", k.Secret, k.Hint)
	}
	p, err := admin.Authenticate(ctx, pool, k.Secret)
	if err != nil || p.Role != admin.Operator || p.KeyID != k.ID {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_keys WHERE hash = sha256(convert_to($1, 'UTF8')) AND position($1 in hint) = 0`, k.Secret).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("the key must be stored as its SHA-256 only: %d, %v", stored, err)
	}
	entries, _, err := admin.Audit(ctx, pool, p, admin.Filter{Action: "admin_key.create"})
	if err != nil || len(entries) != 1 || entries[0].Actor != "cli:bootstrap" || strings.Contains(string(entries[0].After), k.Secret) {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
}

func TestKeysRolesAndRevoke(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	root, err := admin.Bootstrap(ctx, pool, "root")
	if err != nil {
		t.Fatal(err)
	}
	op, _ := admin.Authenticate(ctx, pool, root.Secret)
	op.RequestID = "req_test1"

	var inv invalid.Errors
	_, err = admin.CreateKey(ctx, pool, op, admin.NewKey{Name: "", Role: "boss", Agencies: nil})
	if !errors.As(err, &inv) || len(inv) != 2 {
		t.Fatalf("bad key: %v, want two field errors at once", err)
	}
	_, err = admin.CreateKey(ctx, pool, op, admin.NewKey{Name: "x", Role: admin.AgencyStaff, Agencies: []string{"NOPE-XX"}})
	if !errors.As(err, &inv) || inv[0].Code != "unknown_agency" {
		t.Fatalf("unknown agency: %v", err)
	}
	staffKey, err := admin.CreateKey(ctx, pool, op, admin.NewKey{Name: "KBNN Hà Nội", Role: admin.AgencyStaff, Agencies: []string{"KBNN-HN"}})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := admin.Authenticate(ctx, pool, staffKey.Secret)
	if err != nil || staff.Role != admin.AgencyStaff || len(staff.Agencies) != 1 || staff.Agencies[0] != "KBNN-HN" {
		t.Fatalf("staff = %+v, %v", staff, err)
	}
	if _, err := admin.CreateKey(ctx, pool, staff, admin.NewKey{Name: "y", Role: admin.Operator}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("staff minted a key: %v", err)
	}
	if _, _, err := admin.Audit(ctx, pool, staff, admin.Filter{Agency: "KBNN-HCM"}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("staff read another agency's audit: %v", err)
	}
	if _, err := admin.RevokeKey(ctx, pool, op, staffKey.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Authenticate(ctx, pool, staffKey.Secret); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("revoked key still works: %v", err)
	}
	entries, _, err := admin.Audit(ctx, pool, op, admin.Filter{ObjectID: staffKey.ID})
	if err != nil || len(entries) != 2 || entries[0].Action != "admin_key.revoke" || entries[0].RequestID == nil || *entries[0].RequestID != "req_test1" {
		t.Fatalf("audit of the key = %+v, %v", entries, err)
	}
	var before, after admin.Key
	_ = json.Unmarshal(entries[0].Before, &before)
	_ = json.Unmarshal(entries[0].After, &after)
	if before.RevokedAt != nil || after.RevokedAt == nil {
		t.Fatalf("before/after do not show the revocation: %s → %s", entries[0].Before, entries[0].After)
	}
	page, more, err := admin.Audit(ctx, pool, op, admin.Filter{Limit: 1})
	if err != nil || len(page) != 1 || !more {
		t.Fatalf("page = %d entries, more %v, %v", len(page), more, err)
	}
	next, _, err := admin.Audit(ctx, pool, op, admin.Filter{Limit: 1, StartingAfter: page[0].ID})
	if err != nil || len(next) != 1 || next[0].ID >= page[0].ID {
		t.Fatalf("next page = %+v, %v", next, err)
	}
}

// The audit log is append-only against the owner (triggers) and against
// the gateway's runtime role (privileges), as the ledger is.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := admin.Bootstrap(ctx, pool, "root"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		role, stmt, code string
	}{
		{"", `UPDATE audit_log SET actor = 'someone else'`, "55000"},
		{"", `DELETE FROM audit_log`, "55000"},
		{"", `TRUNCATE audit_log`, "55000"},
		{"civicpay_runtime", `UPDATE audit_log SET actor = 'someone else'`, "42501"},
		{"civicpay_runtime", `DELETE FROM audit_log`, "42501"},
		{"civicpay_runtime", `TRUNCATE audit_log`, "42501"},
		{"civicpay_runtime", `ALTER TABLE audit_log DISABLE TRIGGER ALL`, "42501"},
	} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.role != "" {
			if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+c.role); err != nil {
				t.Fatal(err)
			}
		}
		_, err = tx.Exec(ctx, c.stmt)
		_ = tx.Rollback(ctx)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != c.code {
			t.Errorf("%s as %q: %v, want %s", c.stmt, c.role, err, c.code)
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE civicpay_runtime`); err != nil {
		t.Fatal(err)
	}
	if err := admin.Record(ctx, tx, admin.CLI("test"), "agency.update", "agency", "KBNN-HN", "", nil, map[string]string{"a": "b"}); err != nil {
		t.Fatalf("the runtime role must append: %v", err)
	}
}
