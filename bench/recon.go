package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/reconcile"
)

// The reconciliation day: the report covers yesterday in Vietnam time, so
// the callbacks of this run's other scenarios (today) fall outside it.
func reconDay() time.Time {
	y, m, d := time.Now().In(reconcile.ICT).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, reconcile.ICT)
}

var reconProviders = []string{"vietqr", "momo", "zalopay", "vnpay"}

// Line i of the report (1-based) and the callback the gateway holds for it:
//   - i%200 == 7: the gateway never got it (missing at gateway); when i%400
//     == 7 its order names one of the bench's payments;
//   - i%200 == 13: the provider reports 1,000 đồng more (amount mismatch);
//   - i%1000 == 999: a failed transaction, not money (ignored), and no
//     callback;
//   - otherwise matched.
//
// Callbacks numbered past the report's last line are missing at the provider.
func reconTxn(i int64) (provider, txn string) {
	p := reconProviders[i%4]
	if p == "vietqr" {
		return p, "casso:" + strconv.FormatInt(9_000_000_000+i, 10)
	}
	return p, strconv.FormatInt(9_000_000_000+i, 10)
}

func reconAmount(i int64) int64 { return 10000 + (i%500)*1000 }

// reconExpect is what a correct reconciliation of n lines finds.
func reconExpect(n int64) reconcile.Result {
	var r reconcile.Result
	r.Lines = n
	for i := int64(1); i <= n; i++ {
		switch {
		case i%1000 == 999:
			r.Ignored++
		case i%200 == 7:
			r.MissingAtGateway++
			if i%400 == 7 {
				r.KnownPayment++
			}
		case i%200 == 13:
			r.AmountMismatch++
		default:
			r.Matched++
		}
	}
	r.MissingAtProvider = n / 200
	return r
}

// seedRecon records the gateway side of the report day: a callback for
// every line the gateway got, plus n/200 the provider's report lacks.
func (e *Env) seedRecon(ctx context.Context, n int64) error {
	from := reconDay()
	step := float64(86_399*time.Second) / float64(n+n/200)
	_, err := e.Pool.Exec(ctx, `
		INSERT INTO provider_callbacks (provider, provider_txn_id, order_id, amount, succeeded, outcome, raw, received_at)
		SELECT (ARRAY['vietqr','momo','zalopay','vnpay'])[i % 4 + 1],
		       CASE WHEN i % 4 = 0 THEN 'casso:' ELSE '' END || (9000000000 + i)::text,
		       'pay_recon' || lpad(i::text, 16, '0') || '-1',
		       10000 + (i % 500) * 1000, true, 'settled', '\x7b7d'::bytea,
		       $2::timestamptz + make_interval(secs => i * $3::float8 / 1e9)
		FROM generate_series(1, $1::bigint) AS i
		WHERE i > $4 OR (i % 1000 <> 999 AND i % 200 <> 7)`, n+n/200, from, step, n)
	if err != nil {
		return fmt.Errorf("seed reconciliation callbacks: %w", err)
	}
	_, err = e.Pool.Exec(ctx, `ANALYZE provider_callbacks`)
	return err
}

// writeReport writes the provider's report of n lines.
func writeReport(path string, n int64, known []fixture) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("provider,txn_id,order_id,amount,status,time\n")
	from := reconDay()
	step := float64(86_399*time.Second) / float64(n+n/200)
	buf := make([]byte, 0, 128)
	for i := int64(1); i <= n; i++ {
		p, txn := reconTxn(i)
		order := fmt.Sprintf("pay_recon%016d-1", i)
		amount, status := reconAmount(i), "success"
		switch {
		case i%1000 == 999:
			status = "failed"
		case i%400 == 7 && len(known) > 0:
			order = known[int(i/400)%len(known)].ID + "-1"
		case i%200 == 13:
			amount += 1000
		}
		at := from.Add(time.Duration(float64(i) * step)).Format(time.RFC3339)
		buf = buf[:0]
		buf = append(buf, p...)
		buf = append(buf, ',')
		buf = append(buf, txn...)
		buf = append(buf, ',')
		buf = append(buf, order...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, amount, 10)
		buf = append(buf, ',')
		buf = append(buf, status...)
		buf = append(buf, ',')
		buf = append(buf, at...)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyReference is the reference of scenario 6: COPY of the same file into
// an unlogged table with the same column types, streamed from the client.
func (e *Env) copyReference(ctx context.Context, path string) (time.Duration, int64, error) {
	conn, err := e.Pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE UNLOGGED TABLE bench_copy_reference (provider text, txn_id text, order_id text,
		amount numeric(20,0), status text, "time" timestamptz)`); err != nil {
		return 0, 0, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_copy_reference`)
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	start := time.Now()
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, f, `COPY bench_copy_reference FROM STDIN (FORMAT csv, HEADER true)`)
	return time.Since(start), tag.RowsAffected(), err
}

// reconcileRun runs `civicpay reconcile` (or, while cmd/civicpay lacks the
// subcommand, this program as a child doing the same gateway/reconcile
// call), so the figures are that process's own time and peak RSS.
func (e *Env) reconcileRun(ctx context.Context, path string) (reconcile.Result, time.Duration, int64, string, error) {
	cmd := exec.CommandContext(ctx, e.Civic, "reconcile", "--report", path, "--json")
	how := "civicpay reconcile"
	if !e.hasReconcileCmd() {
		self, err := os.Executable()
		if err != nil {
			return reconcile.Result{}, 0, 0, "", err
		}
		cmd = exec.CommandContext(ctx, self)
		cmd.Env = append(childEnv("DATABASE_URL="+e.DBURL), reconcileChildEnv+"="+path)
		how = "gateway/reconcile in a child process (cmd/civicpay has no reconcile subcommand yet)"
	} else {
		cmd.Env = childEnv("DATABASE_URL=" + e.DBURL)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return reconcile.Result{}, 0, 0, how, err
	}
	// The peak RSS is the child's own VmHWM, sampled until it exits (its
	// rusage would report the bench's, which the child briefly shared).
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if _, p, err := procMemory(cmd.Process.Pid); err == nil && p > hwm {
				hwm = p
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	elapsed := time.Since(start)
	close(done)
	rss := <-peak
	if err != nil {
		return reconcile.Result{}, 0, 0, how, fmt.Errorf("%s: %v: %s", how, err, lastLines(errb.String(), 4))
	}
	var res reconcile.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, 0, 0, how, fmt.Errorf("%s printed %q: %v", how, lastLines(out.String(), 2), err)
	}
	return res, elapsed, rss, how, nil
}

func (e *Env) hasReconcileCmd() bool {
	out, _ := exec.Command(e.Civic, "reconcile", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("-report"))
}

// reconcileChildEnv makes this program the reconcile child: it reconciles
// the file it names against DATABASE_URL and prints the result as JSON.
const reconcileChildEnv = "BENCH_RECONCILE_CHILD"

func reconcileChild(path string) error {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := reconcile.Run(ctx, pool, f, reconcile.Options{})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// reconciliation is scenario 6.
func (e *Env) reconciliation(ctx context.Context, cfg Config, known []fixture, rep *Report) error {
	n := cfg.ReconLines
	path := filepath.Join(e.WorkDir, "provider-report.csv")
	t0 := time.Now()
	if err := e.seedRecon(ctx, n); err != nil {
		return err
	}
	if err := writeReport(path, n, known); err != nil {
		return err
	}
	st, _ := os.Stat(path)
	logf("  reconciliation: %d callbacks seeded and a %d-line report (%.0f MB) written in %s", n+n/200, n, float64(st.Size())/mb, time.Since(t0).Round(time.Millisecond))
	if err := e.quiesce(ctx); err != nil {
		return err
	}
	refTime, refRows, err := e.copyReference(ctx, path)
	if err != nil {
		return fmt.Errorf("COPY reference: %w", err)
	}
	if err := e.quiesce(ctx); err != nil {
		return err
	}
	res, took, rss, how, err := e.reconcileRun(ctx, path)
	if err != nil {
		return err
	}
	want := reconExpect(n)
	got := res
	got.From, got.To, want.From, want.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		rep.problem("reconciliation counted %+v, want %+v", got, want)
	} else {
		rep.Verified = append(rep.Verified, fmt.Sprintf("reconciliation — all %d classified lines as seeded", n))
	}
	ratio := refTime.Seconds() / took.Seconds()
	rep.add(Row{Scenario: "6 reconciliation", Metric: fmt.Sprintf("%d-line report, time", n), Gateway: took.Seconds(), Reference: refTime.Seconds(), Unit: "s",
		Ratio: ratio, Goal: "≥ 0.5× (speed)", Met: ratio >= 0.5, Note: "reference: COPY of the file into an unlogged table; ratio = reference time / gateway time"})
	rep.add(Row{Scenario: "6 reconciliation", Metric: "peak RSS of the reconciling process", Gateway: float64(rss) / mb, Reference: float64(st.Size()) / mb, Unit: "MB",
		Ratio: float64(rss) / float64(st.Size()), Goal: "≤ 200 MB", Met: rss > 0 && rss <= 200*mb, Note: "reference: the report's size"})
	rep.section("6. Reconciliation",
		fmt.Sprintf("- report: %d lines, %.1f MB; run as %s", n, float64(st.Size())/mb, how),
		fmt.Sprintf("- gateway: %s wall time (process start to exit), peak RSS %.1f MB; counted matched %d (held for review %d), amount mismatch %d, missing at gateway %d (naming a payment %d), missing at provider %d, not collected %d",
			took.Round(time.Millisecond), float64(rss)/mb, res.Matched, res.Exceptions, res.AmountMismatch, res.MissingAtGateway, res.KnownPayment, res.MissingAtProvider, res.Ignored),
		fmt.Sprintf("- reference: COPY of %d rows in %s (%.0f rows/s)", refRows, refTime.Round(time.Millisecond), float64(refRows)/refTime.Seconds()),
	)
	logf("  reconcile %s (RSS %.1f MB) vs COPY %s", took.Round(time.Millisecond), float64(rss)/mb, refTime.Round(time.Millisecond))
	return nil
}
