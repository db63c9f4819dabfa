package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// The refunds command, run as the binary runs it, against a gateway's
// database: a manual refund completed with --json, another failed.
func TestRefundsCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gatewaytest.Start(t)
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{"service": "GPLX-CAPDOI", "reference": "HS-2026-000991",
		"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"}}, "Idempotency-Key", "cli")
	if res.Status != 201 {
		t.Fatalf("create payment = %d %s", res.Status, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	if r, err := g.App.Settler.Settle(ctx, banks.Callback{Provider: "vietqr", TxnID: "sepay:991", PaymentID: id,
		Amount: decimal.RequireFromString("135000"), Currency: "VND", Succeeded: true, Raw: []byte("{}")}); err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", r, err)
	}
	refund := func(amount, key string) string {
		res := g.Do(t, "POST", "/v1/payments/"+id+"/refunds", g.Portal.TestKey, map[string]any{"amount": amount}, "Idempotency-Key", key)
		if res.Status != 201 {
			t.Fatalf("refund = %d %s", res.Status, res.Body)
		}
		rid := res.JSON(t)["id"].(string)
		w := &refunds.Worker{Pool: g.Pool, Outbox: g.App.Outbox, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := w.Work(ctx, &river.Job[refunds.Args]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: refunds.Args{RefundID: rid}}); err != nil {
			t.Fatal(err)
		}
		return rid
	}
	a, b := refund("50000", "a"), refund("85000", "b")
	db := g.Pool.Config().ConnString()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := refundsCmd(ctx, append(args, "--database-url", db), &out)
		return out.String(), err
	}

	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"complete", a}, "--reference"},
		{[]string{"fail", a}, "--reason"},
		{[]string{"complete", a, "--reference", "FT1", "--reason", "x"}, "--reference BANK_REF"},
		{[]string{"complete"}, "REFUND_ID"},
		{[]string{"complete", a, "extra", "--reference", "FT1"}, "unexpected argument"},
		{[]string{"refund", a}, "unknown command"},
		{[]string{"complete", "re_0000000000000000", "--reference", "FT1"}, "refund not found"},
	} {
		if _, err := run(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want one naming %q", c.args, err, c.want)
		}
	}

	out, err := run("complete", a, "--reference", "FT26338000003", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var done map[string]any
	if err := json.Unmarshal([]byte(out), &done); err != nil || done["id"] != a || done["status"] != "succeeded" || done["amount"] != "50000" {
		t.Fatalf("complete --json = %s (%v)", out, err)
	}
	out, err = run("fail", "--reason", "beneficiary account closed", b)
	if err != nil || !strings.Contains(out, b) || !strings.Contains(out, "failed") {
		t.Fatalf("fail = %q, %v", out, err)
	}
	if _, err := run("fail", a, "--reason", "again"); !errors.Is(err, refunds.ErrNotPending) {
		t.Fatalf("failing a completed refund = %v, want ErrNotPending", err)
	}
	p := g.Do(t, "GET", "/v1/payments/"+id, g.Portal.TestKey, nil).JSON(t)
	if p["status"] != "partially_refunded" || p["amount_refunded"] != "50000" || p["amount_refund_pending"] != "0" {
		t.Fatalf("payment = %v %v %v", p["status"], p["amount_refunded"], p["amount_refund_pending"])
	}
	if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type LIKE 'refund.%'`, id); n != 2 {
		t.Fatalf("refund events = %d, want 2", n)
	}
	help, err := run("--help")
	if err != nil || !strings.Contains(help, "complete REFUND_ID --reference BANK_REF") {
		t.Fatalf("--help = %q, %v", help, err)
	}
}
