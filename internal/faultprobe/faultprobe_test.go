package faultprobe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/internal/devpg"
	"github.com/civicpay/civicpay/migrations"
)

// Timing of the probe. The sandbox's retry schedules run 500 times faster
// (SePay's 33 minutes in 4 s); the gateway asks about overdue transfers
// every second, from 2 s after issue.
const (
	retryScale   = "0.002"
	requeryEvery = "1s"
	requeryAfter = "2s"
	// recoverWithin bounds every paid transfer's way to succeeded. The
	// requery job runs on River's leader, which may be the instance just
	// killed: its lease lapses after River's leader TTL (15 s) and another
	// instance is elected within the elect interval (5 s + 1 s jitter);
	// then a question within a few seconds (backoff: half the order's
	// age), and a feed list cached for at most 5 s. 60 s leaves room for
	// a loaded machine.
	recoverWithin = 60 * time.Second
	perRound      = 4 // transfers paid while PostgreSQL is down, and killed mid-callback, per round
)

type paid struct {
	id, txn, cause string
	at             time.Time
}

// TestNoPaidTransferLost is the fault probe of issue "No paid transfer
// lost", bounded and on loopback. Round 1 turns the sandbox's callback
// retries off, so only the gateway's own recovery (bank-feed requery) can
// find the transfers; round 2 turns them on. Every paid transfer must end
// succeeded within recoverWithin, with one callback recorded and one
// journal entry, and the ledger must balance.
func TestNoPaidTransferLost(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault probe builds and runs the real binaries")
	}
	if !devpg.ServerInstalled() {
		t.Skip("PostgreSQL server binaries not found: the probe needs a throw-away cluster of its own (make test has them)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the binaries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	began := time.Now()

	// A cluster of our own: stopping it must not touch anyone else's tests.
	cluster := devpg.New(dir, io.Discard)
	dsn, err := cluster.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cluster.Stop(context.Background())
		_ = os.RemoveAll(cluster.Dir())
	})
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer hooks.Close()
	seeded, err := demo.Seed(ctx, pool, hooks.URL)
	if err != nil {
		t.Fatal(err)
	}
	key := seeded.Portal.TestKey

	bins := t.TempDir()
	binaries := build(t, bins, "cmd/civicpay", "cmd/banksim")
	civicpay, banksim := binaries[0], binaries[1]
	setUp := time.Since(began) // cluster, schema, seed and binaries

	simAddr := freeAddr(t)
	var lb *balancer // set once the instances exist; they need front's URL first
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { lb.ServeHTTP(w, r) }))
	defer front.Close()
	sim := exec.Command(banksim, "--addr", simAddr, "--gateway", front.URL, "--retry-scale", retryScale, "--report-dir", dir)
	sim.Stdout, sim.Stderr = io.Discard, io.Discard
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sim.Process.Kill(); _ = sim.Wait() }()
	simURL := "http://" + simAddr

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DATABASE_URL=" + dsn, "CIVICPAY_PUBLIC_URL=" + front.URL,
		"CIVICPAY_SANDBOX_URL=" + simURL, "CIVICPAY_MIGRATE=false", "CIVICPAY_LOG_LEVEL=warn", "CIVICPAY_DB_MAX_CONNS=8",
		"CIVICPAY_REQUERY_EVERY=" + requeryEvery, "CIVICPAY_REQUERY_AFTER=" + requeryAfter}
	var ins []*instance
	for _, name := range []string{"a", "b"} {
		in := &instance{name: name, addr: freeAddr(t), bin: civicpay, logDir: dir, env: env}
		ins = append(ins, in)
	}
	lb = newBalancer(ins...)
	for _, in := range ins {
		in.start(t)
		defer in.kill()
	}
	if err := waitUp(simURL+"/control/faults", 10*time.Second); err != nil {
		t.Fatal(err)
	}

	var all []paid
	for round, retries := range []bool{false, true} {
		fault := `{"no_retry":true}`
		if retries {
			fault = `{}`
		}
		if res, err := doJSON(ctx, http.MethodPut, simURL+"/control/faults/vietqr", fault); err != nil || res != 200 {
			t.Fatalf("set fault: %d %v", res, err)
		}
		codes := make([]string, 2*perRound)
		for i := range codes {
			codes[i] = qr(ctx, t, front.URL, key, fmt.Sprintf("HS-PROBE-%d-%02d", round, i))
		}
		feed := func(i int) string { return []string{"casso", "sepay"}[i%2] }

		// PostgreSQL stops; transfers are paid; the feeds get 503.
		if err := cluster.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range perRound {
			p := pay(ctx, t, simURL, codes[i], feed(i), "database down")
			if p.status != 503 {
				t.Errorf("callback while PostgreSQL is down answered %d, want 503", p.status)
			}
			all = append(all, p.paid)
		}
		again, err := cluster.Ensure(ctx)
		if err != nil || again != dsn {
			t.Fatalf("PostgreSQL came back at %q (%v), want the same URL", again, err)
		}
		// The instance handling a callback is killed mid-callback, then restarted.
		for i := perRound; i < 2*perRound; i++ {
			lb.armed.Store(true)
			p := pay(ctx, t, simURL, codes[i], feed(i), "instance killed")
			all = append(all, p.paid)
			select {
			case in := <-lb.killed:
				in.start(t)
			case <-time.After(10 * time.Second):
				t.Fatal("no instance was killed")
			}
		}
		waitSucceeded(ctx, t, pool, all, round)
	}
	report(ctx, t, pool, all, setUp, time.Since(began))
}

type payResult struct {
	paid
	status int
}

func pay(ctx context.Context, t *testing.T, sim, code, feed, cause string) payResult {
	t.Helper()
	at := time.Now()
	res, err := postJSON(ctx, sim+"/control/pay", "", fmt.Sprintf(`{"qr_payload":%q,"feed":%q}`, code, feed))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		OrderID   string `json:"order_id"`
		TxnID     string `json:"txn_id"`
		Callbacks []struct {
			Status int `json:"status"`
		} `json:"callbacks"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || len(out.Callbacks) == 0 {
		t.Fatalf("pay = %d %+v %v", res.StatusCode, out, err)
	}
	return payResult{paid: paid{id: out.OrderID, txn: out.TxnID, cause: cause, at: at}, status: out.Callbacks[0].Status}
}

// qr creates a payment and its bank_qr code, and returns the VietQR payload.
func qr(ctx context.Context, t *testing.T, base, key, ref string) string {
	t.Helper()
	body := `{"service":"GPLX-CAPDOI","reference":"` + ref + `","payer":{"name":"Nguyễn Văn An","id_number":"001099012345"}}`
	var p struct{ ID, ClientToken string }
	decode(t, must(postJSON(ctx, base+"/v1/payments", key, body, "Idempotency-Key", ref)), 201, &struct {
		ID          *string `json:"id"`
		ClientToken *string `json:"client_token"`
	}{&p.ID, &p.ClientToken})
	var q struct {
		Payload string `json:"qr_payload"`
	}
	decode(t, must(postJSON(ctx, base+"/v1/payments/"+p.ID+"/qr", p.ClientToken, `{"method":"bank_qr"}`)), 200, &q)
	return q.Payload
}

func must(res *http.Response, err error) *http.Response {
	if err != nil {
		panic(err)
	}
	return res
}

func decode(t *testing.T, res *http.Response, want int, v any) {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want || json.Unmarshal(b, v) != nil {
		t.Fatalf("%s %s = %d %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, b)
	}
}

func doJSON(ctx context.Context, method, u, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// waitSucceeded waits for every transfer paid so far to be succeeded.
func waitSucceeded(ctx context.Context, t *testing.T, pool *pgxpool.Pool, all []paid, round int) {
	t.Helper()
	codes := make([]string, len(all))
	for i, p := range all {
		codes[i] = p.id
	}
	deadline := all[len(all)-1].at.Add(recoverWithin)
	for {
		var open []string
		rows, err := pool.Query(ctx, `SELECT payment_code FROM payments WHERE payment_code = ANY($1) AND status <> 'succeeded'`, codes)
		if err == nil {
			for rows.Next() {
				var c string
				_ = rows.Scan(&c)
				open = append(open, c)
			}
			rows.Close()
		}
		if err == nil && len(open) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("round %d: %d paid transfers still not succeeded %v after their payment (%v)", round+1, len(open), recoverWithin, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// report checks exactly-once and logs the figures docs/RELIABILITY.md quotes.
func report(ctx context.Context, t *testing.T, pool *pgxpool.Pool, all []paid, setUp, total time.Duration) {
	t.Helper()
	for i, p := range all {
		var entries, callbacks int
		var succeeded time.Time
		var byList bool
		err := pool.QueryRow(ctx, `
SELECT (SELECT count(*) FROM journal_entries j WHERE j.payment_id = p.id),
       (SELECT count(*) FROM provider_callbacks c WHERE c.payment_id = p.id),
       p.succeeded_at,
       EXISTS (SELECT 1 FROM provider_callbacks c WHERE c.payment_id = p.id AND c.provider_txn_id = $2
               AND (convert_from(c.raw, 'UTF8') LIKE '%"tid"%' OR convert_from(c.raw, 'UTF8') LIKE '%"amount_in"%'))
FROM payments p WHERE p.payment_code = $1`, p.id, p.txn).Scan(&entries, &callbacks, &succeeded, &byList)
		if err != nil {
			t.Fatal(err)
		}
		if entries != 1 || callbacks != 1 {
			t.Errorf("%s: %d journal entries and %d callbacks, want 1 and 1", p.id, entries, callbacks)
		}
		by := "webhook retry"
		if byList {
			by = "transaction list"
		}
		round := 1 + i/(2*perRound)
		t.Logf("round %d (retries %v): %-15s settled by %-16s after %v", round, round == 2, p.cause, by, succeeded.Sub(p.at).Round(10*time.Millisecond))
	}
	var unbalanced int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0) u`).Scan(&unbalanced); err != nil || unbalanced != 0 {
		t.Errorf("%d unbalanced journal entries (%v)", unbalanced, err)
	}
	t.Logf("%d transfers paid, lost 0; set up (cluster, schema, binaries) in %v; probe took %v", len(all), setUp.Round(100*time.Millisecond), total.Round(100*time.Millisecond))
}
