package reconcile_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/gateway/reconcile"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestRunClassifiesEveryLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	seeded, err := demo.Seed(ctx, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, amount, payment_code, client_token, expires_at)
		VALUES ('pay_lostcallback000000001', $1, false, 'HT-KHAISINH', 'KBNN-HN', 'fee', 'HS-2026-000001', 8000, 'CPLOST0001', 'ct_lost', now())`,
		seeded.Portal.ID); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, reconcile.ICT)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	for _, c := range []struct {
		provider, txn, outcome string
		amount                 int64
		received               time.Time
	}{
		{"momo", "1001", "settled", 8000, at(1)},            // matched
		{"momo", "1002", "exception", 9000, at(2)},          // matched, held for review
		{"zalopay", "2001", "settled", 135000, at(3)},       // amount mismatch
		{"vnpay", "3001", "settled", 8000, at(4)},           // missing at the provider
		{"vnpay", "3002", "settled", 8000, at(-30)},         // outside the window: not missing
		{"vietqr", "casso:4001", "settled", 8000, at(-240)}, // matched, received long before its report line
		{"vnpay", "3003", "ignored", 8000, at(5)},           // the report's failed line
	} {
		if _, err := pool.Exec(ctx, `
			INSERT INTO provider_callbacks (provider, provider_txn_id, amount, succeeded, outcome, exception_reason, raw, received_at)
			VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'exception' THEN 'amount_mismatch' END, '{}', $6)`,
			c.provider, c.txn, c.amount, c.outcome != "ignored", c.outcome, c.received); err != nil {
			t.Fatal(err)
		}
	}
	report := strings.Join([]string{
		"provider,txn_id,order_id,amount,status,time",
		"momo,1001,pay_a-1,8000,success,2026-11-20 01:00:00",
		"momo,1002,pay_b-1,9000,success,2026-11-20T02:00:00+07:00",
		"momo,1001,pay_a-1,8000,success,2026-11-20 01:00:05", // a repeat
		"zalopay,2001,201120_pay_c-1,136000,success,2026-11-20 03:00:00",
		"vnpay,3003,pay_d-1,8000,failed,2026-11-20 05:00:00",
		"momo,1003,pay_lostcallback000000001-1,8000,success,2026-11-20 06:00:00", // lost callback of a known payment
		"momo,1004,pay_unknown-1,8000,success,2026-11-20 07:00:00",
		"vietqr,casso:4001,CPXXXXXXXX,8000,success,2026-11-20 08:00:00",
	}, "\n") + "\n"
	res, err := reconcile.Run(ctx, pool, strings.NewReader(report), reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.From.Equal(day) || !res.To.Equal(day.AddDate(0, 0, 1)) {
		t.Errorf("window %s – %s, want the report's day", res.From, res.To)
	}
	res.From, res.To = time.Time{}, time.Time{}
	want := reconcile.Result{Lines: 8, Ignored: 1, Duplicates: 1, Matched: 3, Exceptions: 1, AmountMismatch: 1,
		MissingAtGateway: 2, KnownPayment: 1, MissingAtProvider: 1}
	if res != want {
		t.Errorf("got  %+v\nwant %+v", res, want)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE 'reconcile_%'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("staging tables left behind: %d %v", left, err)
	}
}

func TestRunRefusesBadReports(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := reconcile.Run(ctx, pool, strings.NewReader("txn,amount\n1,2\n"), reconcile.Options{}); !errors.Is(err, reconcile.ErrHeader) {
		t.Errorf("bad header: %v", err)
	}
	_, err := reconcile.Run(ctx, pool, strings.NewReader("provider,txn_id,order_id,amount,status,time\nmomo,1,o,8000,success,2026-11-20 01:00:00\nmomo,2,o,8.5,success,2026-11-20 01:00:00\n"), reconcile.Options{})
	var le *reconcile.LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Errorf("a fractional amount on line 3: %v", err)
	}
}
