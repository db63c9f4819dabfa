package migrations_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/internal/gatewaytest"
	"github.com/civicpay/civicpay/migrations"
)

// 006 repairs payments written under the old rule, where amount_refunded
// counted pending refunds and a failed refund left the status behind: the
// issue's 135,000 payment (50,000 refunded, 85,000 failed) read refunded.
func TestRefundStatesMigrationRepairsPayments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gatewaytest.Start(t)
	paid := func(ref string) string {
		res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{"service": "GPLX-CAPDOI", "reference": ref,
			"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"}}, "Idempotency-Key", ref)
		id := res.JSON(t)["id"].(string)
		if r, err := g.App.Settler.Settle(ctx, banks.Callback{Provider: "momo", TxnID: ref, PaymentID: id,
			Amount: decimal.RequireFromString("135000"), Currency: "VND", Succeeded: true, Raw: []byte("{}")}); err != nil || r.Outcome != banks.OutcomeSettled {
			t.Fatalf("settle: %+v %v", r, err)
		}
		return id
	}
	refund := func(id, amount, key string) string {
		res := g.Do(t, "POST", "/v1/payments/"+id+"/refunds", g.Portal.TestKey, map[string]any{"amount": amount}, "Idempotency-Key", key)
		if res.Status != 201 {
			t.Fatalf("refund = %d %s", res.Status, res.Body)
		}
		return res.JSON(t)["id"].(string)
	}
	broken, pending := paid("HS-2026-000995"), paid("HS-2026-000996")
	a, b := refund(broken, "50000", "a"), refund(broken, "85000", "b")
	refund(pending, "135000", "c")

	// Back to the schema before 006, with the rows as the old code left them.
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := g.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`ALTER TABLE payments DROP CONSTRAINT payments_refund_status, DROP CONSTRAINT payments_refunds_within_amount, DROP COLUMN amount_refund_pending`)
	exec(`ALTER TABLE refunds DROP COLUMN requested_at, DROP COLUMN checks, DROP COLUMN failure_reason`)
	exec(`DROP INDEX refunds_pending`)
	exec(`UPDATE refunds SET status = 'succeeded' WHERE id = $1`, a)
	exec(`UPDATE refunds SET status = 'failed' WHERE id = $1`, b)
	exec(`UPDATE payments SET status = 'refunded', amount_refunded = 50000 WHERE id = $1`, broken)
	exec(`UPDATE payments SET status = 'succeeded', amount_refunded = 135000 WHERE id = $1`, pending)

	body, err := fs.ReadFile(migrations.FS(), "006_refund_states.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec(string(body))
	for id, want := range map[string][3]string{
		broken:  {"partially_refunded", "50000", "0"},
		pending: {"succeeded", "0", "135000"},
	} {
		var got [3]string
		if err := g.Pool.QueryRow(ctx, `SELECT status::text, amount_refunded::text, amount_refund_pending::text FROM payments WHERE id = $1`, id).
			Scan(&got[0], &got[1], &got[2]); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s after 006 = %v, want %v", id, got, want)
		}
	}
	// The constraints hold the rule from now on.
	if _, err := g.Pool.Exec(ctx, `UPDATE payments SET status = 'refunded' WHERE id = $1`, broken); err == nil {
		t.Error("a status that disagrees with amount_refunded was accepted")
	}
	if _, err := g.Pool.Exec(ctx, `UPDATE payments SET amount_refund_pending = amount_refund_pending + 1 WHERE id = $1`, pending); err == nil {
		t.Error("refunded + pending above the amount was accepted")
	}
}
