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

// A report over two days: the index widens to the second day when its
// first line comes, and a callback of the first day's line that arrived
// on the second day (looked up by key before the widening read it) is
// counted once and is not missing at the provider.
func TestRunWidensToEveryDayOfTheReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, reconcile.ICT)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	for _, c := range []struct {
		txn      string
		received time.Time
	}{
		{"1", at(1)},  // day one, matched
		{"2", at(34)}, // day one's line, its callback late on day two
		{"3", at(30)}, // day two, matched
		{"4", at(40)}, // day two, missing at the provider
		{"5", at(3)},  // day one: the report's failed line, then a success that repeats it
	} {
		if _, err := pool.Exec(ctx, `
			INSERT INTO provider_callbacks (provider, provider_txn_id, amount, succeeded, outcome, raw, received_at)
			VALUES ('momo', $1, 8000, true, 'settled', '{}', $2)`, c.txn, c.received); err != nil {
			t.Fatal(err)
		}
	}
	report := strings.Join([]string{
		"provider,txn_id,order_id,amount,status,time",
		"momo,1,pay_a-1,8000,success,2026-11-20 01:00:00",
		"momo,2,pay_b-1,8000,success,2026-11-20 09:00:00",
		"momo,5,pay_e-1,8000,failed,2026-11-20 03:00:00",
		"momo,5,pay_e-1,8000,success,2026-11-20 03:00:09",
		"momo,3,pay_c-1,8000,success,2026-11-21 06:00:00",
	}, "\n") + "\n"
	res, err := reconcile.Run(ctx, pool, strings.NewReader(report), reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.From.Equal(day) || !res.To.Equal(day.AddDate(0, 0, 2)) {
		t.Errorf("window %s – %s, want both days", res.From, res.To)
	}
	res.From, res.To = time.Time{}, time.Time{}
	// 5 was reported as not collected first: its callback is missing at
	// the provider, and the later success line is only a repeat.
	want := reconcile.Result{Lines: 5, Ignored: 1, Duplicates: 1, Matched: 3, MissingAtProvider: 2}
	if res != want {
		t.Errorf("got  %+v\nwant %+v", res, want)
	}

	// A window given by hand bounds what can be missing at the provider;
	// lines outside it are still found by key.
	res, err = reconcile.Run(ctx, pool, strings.NewReader(report), reconcile.Options{From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	res.From, res.To = time.Time{}, time.Time{}
	want = reconcile.Result{Lines: 5, Ignored: 1, Duplicates: 1, Matched: 3, MissingAtProvider: 1}
	if res != want {
		t.Errorf("window given: got  %+v\nwant %+v", res, want)
	}
}

// A window given on one side only must not let a stray date on the other
// side pull years of callbacks into memory either.
func TestRunRefusesOneSidedWindowsOverAMonth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, reconcile.ICT)
	report := "provider,txn_id,order_id,amount,status,time\nmomo,1,o,8000,success,2099-01-01 01:00:00\n"
	if _, err := reconcile.Run(ctx, pool, strings.NewReader(report), reconcile.Options{From: from}); !errors.Is(err, reconcile.ErrSpan) {
		t.Errorf("--from 2026 and a line of 2099: %v", err)
	}
	report = "provider,txn_id,order_id,amount,status,time\nmomo,1,o,8000,success,0001-01-02 01:00:00\n"
	if _, err := reconcile.Run(ctx, pool, strings.NewReader(report), reconcile.Options{To: from}); !errors.Is(err, reconcile.ErrSpan) {
		t.Errorf("--to 2026 and a line of year 1: %v", err)
	}
}
