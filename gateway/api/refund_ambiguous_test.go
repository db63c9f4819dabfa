package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// An answer that is not final never fails a MoMo refund: the refund stays
// pending, its amount reserved, until MoMo's transaction query for the
// refund gives a final answer; the money goes out once.
func TestAmbiguousMoMoRefundIsAskedAbout(t *testing.T) {
	t.Parallel()
	// Short tries, so a slow MoMo looks like a timeout quickly; a breaker
	// that the cases' failures do not open.
	momo := breaker.Settings{Failures: 100, Timeout: 300 * time.Millisecond, Attempts: 2, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{BreakerFor: map[string]breaker.Settings{"momo": momo}})
	w := refundWorker(g, sb.Providers.Provider)
	for i, c := range []struct {
		name  string
		fault sandbox.Fault // while the refund is sent
		// pendingRuns is how many runs (the send, then queries) leave
		// the refund pending once the fault is cleared after the first.
		pendingRuns int
		want        string // final refund status
		requests    int    // refund requests MoMo saw
		paid        int    // times MoMo paid it
	}{
		{"processing then paid", sandbox.Fault{RefundAnswer: 7000}, 1, "succeeded", 1, 1},
		{"processing by provider then paid", sandbox.Fault{RefundAnswer: 7002}, 1, "succeeded", 1, 1},
		{"duplicate orderId then paid", sandbox.Fault{RefundAnswer: 41}, 1, "succeeded", 1, 1},
		{"duplicate requestId then paid", sandbox.Fault{RefundAnswer: 40}, 1, "succeeded", 1, 1},
		{"unknown error then paid", sandbox.Fault{RefundAnswer: 99}, 1, "succeeded", 2, 1}, // 99 is retried at once, same requestId
		{"processing then declined", sandbox.Fault{RefundAnswer: 7000, RefundDecline: true}, 1, "failed", 1, 0},
		{"processing over several queries", sandbox.Fault{RefundProcessing: 2}, 3, "succeeded", 1, 1},
		{"answer lost to a timeout", sandbox.Fault{Mode: sandbox.ModeSlow, Delay: sandbox.Duration(time.Second), Calls: 2}, 1, "succeeded", 2, 1},
		{"request never arrived", sandbox.Fault{Mode: sandbox.ModeDown, Calls: 2}, 1, "succeeded", 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := momoPaid(t, g, sb, fmt.Sprintf("HS-2026-0009%02d", 80+i))
			setFault(t, sb, c.fault)
			re := createRefund(t, g, id, "35000", fmt.Sprintf("amb-%d", i))
			if !runRefund(t, w, re) {
				t.Fatalf("first run completed the refund (%s); an ambiguous answer must leave it pending", refundStatus(t, g, re))
			}
			if c.fault.RefundProcessing == 0 {
				setFault(t, sb, sandbox.Fault{})
			}
			for run := 1; run < c.pendingRuns; run++ {
				if !runRefund(t, w, re) {
					t.Fatalf("run %d completed the refund while MoMo still processes it", run+1)
				}
			}
			if s := refundState(t, g, id); s != [3]string{"succeeded", "0", "35000"} {
				t.Fatalf("while pending: %v, want succeeded 0 35000", s)
			}
			if runRefund(t, w, re) {
				t.Fatal("the query's final answer did not complete the refund")
			}
			setFault(t, sb, sandbox.Fault{})
			if got := refundStatus(t, g, re); got != c.want {
				t.Fatalf("refund = %s, want %s", got, c.want)
			}
			want := [3]string{"partially_refunded", "35000", "0"}
			if c.want == "failed" {
				want = [3]string{"succeeded", "0", "0"}
			}
			if s := refundState(t, g, id); s != want {
				t.Fatalf("payment = %v, want %v", s, want)
			}
			if requests, paid := sb.MoMoRefund(re); requests != c.requests || paid != c.paid {
				t.Fatalf("MoMo saw %d refund requests and paid %d times, want %d and %d", requests, paid, c.requests, c.paid)
			}
			if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE refund_id = $1`, re); n != 2 {
				t.Fatalf("journal entries of the refund = %d, want 2 (reserve, then pay out or reverse)", n)
			}
			if runRefund(t, w, re) {
				t.Fatal("a run after the end snoozed")
			}
		})
	}
	if b := ledgerBalance(t, g, "test:refunds_payable"); b != 0 {
		t.Fatalf("refunds payable = %d, want 0", b)
	}
}

// Duplicate runs of a refund's job, at the same time and after it ended,
// send it to MoMo once per answer they need and never pay it twice.
func TestDuplicateRefundJobsPayOnce(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	w := refundWorker(g, sb.Providers.Provider)
	id := momoPaid(t, g, sb, "HS-2026-000999")
	re := createRefund(t, g, id, "135000", "dup")
	runAll := func(untilFinal bool) (snoozed int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for runRefund(t, w, re) {
					mu.Lock()
					snoozed++
					mu.Unlock()
					if !untilFinal {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		return snoozed
	}
	// While MoMo says "processing" (to the refund and to the next 20
	// queries about it), every run leaves the refund pending.
	setFault(t, sb, sandbox.Fault{RefundProcessing: 20})
	if n := runAll(false); n != 6 {
		t.Fatalf("%d of 6 runs snoozed while MoMo was processing", n)
	}
	setFault(t, sb, sandbox.Fault{})
	runAll(true)
	runRefund(t, w, re)
	if got := refundStatus(t, g, re); got != "succeeded" {
		t.Fatalf("refund = %s", got)
	}
	requests, paid := sb.MoMoRefund(re)
	if paid != 1 {
		t.Fatalf("MoMo paid the refund %d times", paid)
	}
	t.Logf("refund requests MoMo saw: %d", requests)
	if s := refundState(t, g, id); s != [3]string{"refunded", "135000", "0"} {
		t.Fatalf("payment = %v", s)
	}
	if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE refund_id = $1 AND memo = 'refund paid out'`, re); n != 1 {
		t.Fatalf("payout entries = %d", n)
	}
	if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'refund.succeeded'`, id); n != 1 {
		t.Fatalf("refund.succeeded events = %d", n)
	}
	var checks int
	if err := g.Pool.QueryRow(context.Background(), `SELECT checks FROM refunds WHERE id = $1`, re).Scan(&checks); err != nil {
		t.Fatal(err)
	}
	t.Logf("runs that found no final answer: %d", checks)
}
