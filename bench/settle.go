package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// SettleLevel is scenario 1 at one concurrency.
type SettleLevel struct {
	Clients int
	Gateway Load
	Settled int64   // callbacks recorded as settled during the attack
	Rate    float64 // settlements per second
	// Drain is how long the webhook jobs of the attack still ran after it;
	// Sustained counts it in: the rate the gateway can keep up.
	Drain     time.Duration
	Sustained float64
	Ref       PGBench
}

// settlement is scenario 1: correctly signed callbacks for pre-created
// payments at each concurrency, beside pgbench running the minimal
// settlement transaction at the same concurrency.
func (e *Env) settlement(ctx context.Context, cfg Config, rep *Report) ([]SettleLevel, *callbacks, error) {
	var account string
	if err := e.Pool.QueryRow(ctx, `SELECT account_number FROM agencies WHERE code = 'KBNN-HN'`).Scan(&account); err != nil {
		return nil, nil, err
	}
	cbs := newCallbacks(e.Gateway.URL, account, 50)
	var levels []SettleLevel
	est := 1500.0 // settlements per second expected at the first level
	for i, c := range cfg.Levels {
		if i > 0 {
			prev := levels[i-1]
			est = max(prev.Rate*math.Min(float64(c)/float64(prev.Clients), 4), 1000)
		}
		want := int(est*cfg.Duration.Seconds()*1.5) + 500
		if left := cbs.left(); left < want {
			f, err := e.precreate(ctx, want-left)
			if err != nil {
				return nil, nil, err
			}
			cbs.add(f)
		}
		if err := e.quiesce(ctx); err != nil {
			return nil, nil, err
		}
		before, err := e.settledCount(ctx)
		if err != nil {
			return nil, nil, err
		}
		l := attack(ctx, "settle", cbs.targeter(), callbackOK, c, 0, cfg.Duration)
		after, err := e.settledCount(ctx)
		if err != nil {
			return nil, nil, err
		}
		drained, err := e.drain(ctx)
		if err != nil {
			return nil, nil, err
		}
		lv := SettleLevel{Clients: c, Gateway: l, Settled: after - before, Drain: drained}
		if l.Elapsed > 0 {
			lv.Rate = float64(lv.Settled) / l.Elapsed.Seconds()
			lv.Sustained = float64(lv.Settled) / (l.Elapsed + drained).Seconds()
		}
		if l.Elapsed < cfg.Duration/2 {
			rep.problem("settlement at %d clients ran out of pre-created payments after %s", c, l.Elapsed.Round(time.Millisecond))
		}
		if s := l.ErrorSummary(); s != "" {
			rep.problem("settlement at %d clients: %s", c, s)
		}
		if err := e.quiesce(ctx); err != nil {
			return nil, nil, err
		}
		ref, err := e.pgbench(ctx, "settle.sql", c, cfg.Duration, map[string]string{"portal": e.Portal.ID,
			"clearing": "test:provider_clearing:momo", "beneficiary": "test:beneficiary:KBNN-HN"})
		if err != nil {
			return nil, nil, err
		}
		lv.Ref = ref
		levels = append(levels, lv)
		logf("  settle c=%-3d gateway %7.0f/s (p50 %s, p99 %s; webhook jobs drained %s later: %.0f/s sustained)   pgbench %7.0f/s", c, lv.Rate,
			ms(l.Quantile(50)), ms(l.Quantile(99)), ms(drained), lv.Sustained, ref.TPS)
	}
	best, bestSustained, bestRef := levels[0], levels[0], levels[0]
	for _, l := range levels {
		if l.Rate > best.Rate {
			best = l
		}
		if l.Sustained > bestSustained.Sustained {
			bestSustained = l
		}
		if l.Ref.TPS > bestRef.Ref.TPS {
			bestRef = l
		}
	}
	ratio := best.Rate / bestRef.Ref.TPS
	rep.add(Row{Scenario: "1 settlement", Metric: "settlements/s at best concurrency", Gateway: best.Rate, Reference: bestRef.Ref.TPS,
		Unit: "/s", Ratio: ratio, Goal: "≥ 1.0×", Met: ratio >= 1.0,
		Note: fmt.Sprintf("gateway best at %d clients, pgbench settle.sql at %d", best.Clients, bestRef.Clients)})
	ratio = bestSustained.Sustained / bestRef.Ref.TPS
	rep.add(Row{Scenario: "1 settlement", Metric: "settlements/s sustained (the attack plus draining its webhook jobs)", Gateway: bestSustained.Sustained,
		Reference: bestRef.Ref.TPS, Unit: "/s", Ratio: ratio, Goal: "≥ 1.0×", Met: ratio >= 1.0,
		Note: fmt.Sprintf("at %d clients", bestSustained.Clients)})
	lines := []string{"| clients | gateway settlements/s | p50 | p99 | callbacks sent (repeats incl.) | webhook jobs drained after | sustained/s | pgbench settle.sql tps | pgbench avg latency | ratio |",
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"}
	for _, l := range levels {
		lines = append(lines, fmt.Sprintf("| %d | %.0f | %s | %s | %d | %s | %.0f | %.0f | %s | %.2f× |", l.Clients, l.Rate,
			ms(l.Gateway.Quantile(50)), ms(l.Gateway.Quantile(99)), l.Gateway.Requests, ms(l.Drain), l.Sustained, l.Ref.TPS, ms(l.Ref.Latency), l.Rate/l.Ref.TPS))
	}
	sent, repeats := cbs.counts()
	lines = append(lines, "", fmt.Sprintf("Callbacks by provider: %v; repeats of an earlier callback (must settle nothing): %d.", sent, repeats))
	rep.section("1. Settlement callbacks by concurrency", lines...)
	return levels, cbs, nil
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func (e *Env) settledCount(ctx context.Context) (int64, error) {
	var n int64
	err := e.Pool.QueryRow(ctx, `SELECT count(*) FROM provider_callbacks WHERE outcome = 'settled'`).Scan(&n)
	return n, err
}

// quiesce waits for the gateway's background work (the webhook jobs of
// the last attack) to drain, checkpoints and pauses, so no measurement pays
// for the previous one's writes.
func (e *Env) quiesce(ctx context.Context) error {
	if _, err := e.drain(ctx); err != nil {
		return err
	}
	if e.checkpoint {
		if _, err := e.Pool.Exec(ctx, `CHECKPOINT`); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(e.settle):
	}
	return nil
}

// verifySettlement checks exactly-once after the run: one settled callback
// and one settlement entry per settled payment, repeats recorded nothing,
// every callback the gateway acknowledged is there, and the ledger balances.
func (e *Env) verifySettlement(ctx context.Context, cbs *callbacks, rep *Report) {
	sent, _ := cbs.counts()
	var unique int64
	for _, n := range sent {
		unique += n
	}
	type check struct {
		name string
		sql  string
		want int64
	}
	var settledPayments int64
	if err := e.Pool.QueryRow(ctx, `SELECT count(*) FROM payments WHERE id LIKE 'pay_bnch%' AND status = 'succeeded'`).Scan(&settledPayments); err != nil {
		rep.problem("verify: %v", err)
		return
	}
	checks := []check{
		{"payments settled twice", `SELECT count(*) FROM (SELECT payment_id FROM journal_entries WHERE kind = 'settlement' GROUP BY payment_id HAVING count(*) > 1) x`, 0},
		{"payments with two settled callbacks", `SELECT count(*) FROM (SELECT payment_id FROM provider_callbacks WHERE outcome = 'settled' GROUP BY payment_id HAVING count(*) > 1) x`, 0},
		{"settled bench payments without exactly one settlement entry", `SELECT count(*) FROM payments p WHERE p.id LIKE 'pay_bnch%' AND p.status = 'succeeded'
			AND (SELECT count(*) FROM journal_entries j WHERE j.payment_id = p.id AND j.kind = 'settlement') <> 1`, 0},
		{"settlement entries of bench payments", `SELECT count(*) FROM journal_entries WHERE kind = 'settlement' AND payment_id LIKE 'pay_bnch%'`, settledPayments},
		{"callbacks recorded (repeats must add none)", `SELECT count(*) FROM provider_callbacks`, unique},
		{"callbacks not settled (exceptions, failures)", `SELECT count(*) FROM provider_callbacks WHERE outcome <> 'settled'`, 0},
		{"unbalanced journal entries", `SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0 OR count(*) < 2) x`, 0},
		{"journal entries without postings", `SELECT count(*) FROM journal_entries j WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = j.id)`, 0},
		{"ledger total (sum of all postings)", `SELECT coalesce(sum(amount), 0)::bigint FROM postings`, 0},
	}
	ok := 0
	for _, c := range checks {
		var got int64
		if err := e.Pool.QueryRow(ctx, c.sql).Scan(&got); err != nil {
			rep.problem("verify %s: %v", c.name, err)
			continue
		}
		if got != c.want {
			rep.problem("exactly-once check failed: %s = %d, want %d", c.name, got, c.want)
			continue
		}
		ok++
	}
	if ok == len(checks) {
		rep.Verified = append(rep.Verified, fmt.Sprintf("exactly-once — %d callbacks acknowledged and recorded once each (repeats recorded nothing), %d payments settled with exactly one settlement entry each, every journal entry balanced, ledger total 0", unique, settledPayments))
	}
}

// drain waits until River has no webhook job left to run and says how long
// that took.
func (e *Env) drain(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	for {
		var n int64
		if err := e.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN ('available', 'running')`).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > 2*time.Minute {
			return time.Since(start), fmt.Errorf("%d River jobs still waiting after 2 minutes", n)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
