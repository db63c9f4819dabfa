package api_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/webhooks"
	"github.com/civicpay/civicpay/internal/gatewaytest"
	"github.com/civicpay/civicpay/webhook"
)

// portal is a webhook receiver that can be switched off.
type portal struct {
	mu       sync.Mutex
	up       atomic.Bool
	received []string
	secret   string
	badSigs  int
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.up.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := webhook.Verify(p.secret, r.Header.Get(webhook.Header), body, time.Now(), 0); err != nil {
		p.badSigs++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.received = append(p.received, string(body))
}

func (p *portal) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.received)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func settle(t *testing.T, g *gatewaytest.Gateway, paymentID, txn string) {
	t.Helper()
	r, err := g.App.Settler.Settle(context.Background(), banks.Callback{Provider: "momo", TxnID: txn, PaymentID: paymentID,
		Amount: decimal.RequireFromString("135000"), Currency: "VND", Succeeded: true, Raw: []byte("{}")})
	if err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", r, err)
	}
}

func TestWebhooksAreSignedRetriedAndRedelivered(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	p := &portal{secret: g.Portal.WebhookSecret}
	ts := httptest.NewServer(p)
	defer ts.Close()
	if _, err := g.Pool.Exec(context.Background(), `UPDATE portals SET webhook_url = $1 WHERE id = $2`, ts.URL, g.Portal.ID); err != nil {
		t.Fatal(err)
	}
	g.StartWorkers(t)

	// The portal is down: the first attempt fails and the event waits.
	pay := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000901"), "Idempotency-Key", "wh").JSON(t)
	id := pay["id"].(string)
	settle(t, g, id, "wh-1")
	waitFor(t, "a failed attempt", func() bool {
		return g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.succeeded' AND attempts > 0 AND delivery_status = 'pending'`, id) == 1
	})
	if p.count() != 0 {
		t.Fatal("delivered while the portal was down")
	}

	// It comes back; a redelivery (or River's own retry) brings the event, once.
	p.up.Store(true)
	events := g.Do(t, "GET", "/v1/events?type=payment.succeeded&payment="+id, g.Portal.TestKey, nil).JSON(t)["data"].([]any)
	if len(events) != 1 {
		t.Fatalf("events for the payment = %d", len(events))
	}
	evt := events[0].(map[string]any)
	if evt["type"] != "payment.succeeded" || evt["data"].(map[string]any)["object"].(map[string]any)["status"] != "succeeded" {
		t.Fatalf("event = %v", evt)
	}
	if res := g.Do(t, "POST", "/v1/events/"+evt["id"].(string)+"/redeliver", g.Portal.TestKey, nil); res.Status != 202 {
		t.Fatalf("redeliver = %d %s", res.Status, res.Body)
	}
	waitFor(t, "delivery", func() bool { return p.count() >= 1 })
	waitFor(t, "delivered status", func() bool {
		return g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.succeeded' AND delivery_status = 'delivered'`, id) == 1
	})
	if !strings.Contains(p.received[0], `"id":"`+evt["id"].(string)+`"`) || p.badSigs != 0 {
		t.Fatalf("received %v, bad signatures %d", p.received, p.badSigs)
	}
}

func TestRetryScheduleSpansAboutThreeDays(t *testing.T) {
	t.Parallel()
	var total time.Duration
	for attempt := 1; attempt < 24; attempt++ {
		d := webhooks.RetryDelay(attempt)
		if d <= 0 || d > 8*time.Hour {
			t.Fatalf("delay after attempt %d = %s", attempt, d)
		}
		total += d
	}
	if total < 60*time.Hour || total > 100*time.Hour {
		t.Fatalf("retries span %s, want about three days", total)
	}
}

func TestStatusStreamAndLedgerEndpoints(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	pay := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000902"), "Idempotency-Key", "sse").JSON(t)
	id, token := pay["id"].(string), pay["client_token"].(string)
	waitFor(t, "the status hub to listen", g.App.Hub.Listening)

	res, err := http.Get(g.URL + "/v1/payments/" + id + "/stream?client_token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	if first := <-lines; first != `data: {"status":"requires_payment_method"}` {
		t.Fatalf("first event %q", first)
	}
	settle(t, g, id, "sse-1")
	select {
	case got := <-lines:
		if got != `data: {"status":"succeeded"}` {
			t.Fatalf("second event %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status event after settlement")
	}

	entries := g.Do(t, "GET", "/v1/ledger/entries?payment="+id, g.Portal.TestKey, nil).JSON(t)["data"].([]any)
	if len(entries) != 1 || len(entries[0].(map[string]any)["postings"].([]any)) != 2 {
		t.Fatalf("entries = %v", entries)
	}
	accounts := g.Do(t, "GET", "/v1/ledger/accounts", g.Portal.TestKey, nil).JSON(t)["data"].([]any)
	sum := decimal.Zero
	found := false
	for _, a := range accounts {
		m := a.(map[string]any)
		sum = sum.Add(decimal.RequireFromString(m["balance"].(string)))
		if m["id"] == "test:beneficiary:KBNN-HN" && m["balance"] == "-135000" {
			found = true
		}
	}
	if !found || !sum.IsZero() {
		t.Fatalf("beneficiary credited: %v, balances sum to %s", found, sum)
	}
	daily := g.Do(t, "GET", "/v1/ledger/daily", g.Portal.TestKey, nil).JSON(t)["data"].([]any)
	if len(daily) != 1 || daily[0].(map[string]any)["amount"] != "135000" {
		t.Fatalf("daily totals = %v", daily)
	}
	if res := g.Do(t, "GET", "/v1/payments/"+id+"/stream?client_token=ct_wrong", "", nil); res.Status != 404 {
		t.Fatalf("stream with a wrong token = %d", res.Status)
	}
}

// A gateway that dies after a callback committed but before its webhook was
// delivered loses nothing: the event and its River job committed with the
// settlement, and the next gateway process on the database delivers it once.
func TestWebhookSurvivesARestart(t *testing.T) {
	t.Parallel()
	first := gatewaytest.Start(t) // its River workers never run: it "dies" before delivering
	p := &portal{secret: first.Portal.WebhookSecret}
	p.up.Store(true)
	ts := httptest.NewServer(p)
	defer ts.Close()
	if _, err := first.Pool.Exec(context.Background(), `UPDATE portals SET webhook_url = $1 WHERE id = $2`, ts.URL, first.Portal.ID); err != nil {
		t.Fatal(err)
	}
	id := first.Do(t, "POST", "/v1/payments", first.Portal.TestKey, feeBody("HS-2026-000903"), "Idempotency-Key", "restart").JSON(t)["id"].(string)
	settle(t, first, id, "restart-1")
	if p.count() != 0 {
		t.Fatal("delivered before any worker ran")
	}

	second := gatewaytest.Attach(t, first.Pool) // a new process on the same database
	second.StartWorkers(t)
	// Two events: the payment's and its receipt's (gateway/receipts).
	waitFor(t, "delivery by the restarted gateway", func() bool { return p.count() == 2 })
	time.Sleep(500 * time.Millisecond) // would a second copy follow?
	all := strings.Join(p.received, "\n")
	if p.count() != 2 || !strings.Contains(all, `"type":"payment.succeeded"`) || !strings.Contains(all, `"type":"receipt.issued"`) {
		t.Fatalf("deliveries = %d: %v", p.count(), p.received)
	}
}

// Streams served straight by net/http (no test wrapper) are handed to the
// hub's goroutine; each still gets the current status, then the change.
func TestAdoptedStatusStreams(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	direct := httptest.NewServer(g.Server.Echo)
	defer direct.Close()
	pay := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000904"), "Idempotency-Key", "adopt").JSON(t)
	id, token := pay["id"].(string), pay["client_token"].(string)
	waitFor(t, "the status hub to listen", g.App.Hub.Listening)

	const n = 40
	got := make(chan []string, n)
	for i := 0; i < n; i++ {
		res, err := http.Get(direct.URL + "/v1/payments/" + id + "/stream?client_token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		if res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream headers %v", res.Header)
		}
		go func() {
			defer res.Body.Close()
			var events []string
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					events = append(events, sc.Text())
				}
			}
			got <- events // the hub closes the stream after the final status
		}()
	}
	waitFor(t, "every stream to be adopted", func() bool { return g.App.Hub.Adopted() == n })
	settle(t, g, id, "adopt-1")
	for i := 0; i < n; i++ {
		select {
		case ev := <-got:
			if len(ev) != 2 || ev[0] != `data: {"status":"requires_payment_method"}` || ev[1] != `data: {"status":"succeeded"}` {
				t.Fatalf("stream %d saw %v", i, ev)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("stream %d did not end after the final status", i)
		}
	}
	if a := g.App.Hub.Adopted(); a != 0 {
		t.Fatalf("%d streams still adopted after the final status", a)
	}
}

func TestExceptionsAreListedForReview(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	id := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000905"), "Idempotency-Key", "exc").JSON(t)["id"].(string)
	r, err := g.App.Settler.Settle(context.Background(), banks.Callback{Provider: "momo", TxnID: "exc-1", PaymentID: id,
		Amount: decimal.RequireFromString("135001"), Currency: "VND", Succeeded: true, Raw: []byte("{}")})
	if err != nil || r.Outcome != banks.OutcomeException || r.Reason != "amount_mismatch" {
		t.Fatalf("settle = %+v %v", r, err)
	}
	list := g.Do(t, "GET", "/v1/exceptions", g.Portal.TestKey, nil).JSON(t)["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("exceptions = %v", list)
	}
	e := list[0].(map[string]any)
	if e["payment"] != id || e["amount"] != "135001" || e["reason"] != "amount_mismatch" || e["review_status"] != "open" {
		t.Fatalf("exception = %v", e)
	}
	if res := g.Do(t, "GET", "/v1/exceptions", g.Portal.LiveKey, nil); len(res.JSON(t)["data"].([]any)) != 0 {
		t.Fatal("live key sees test exceptions")
	}
	if res := g.Do(t, "GET", "/v1/exceptions?limit=0", g.Portal.TestKey, nil); res.Status != 422 {
		t.Fatalf("limit=0 = %d", res.Status)
	}
}
