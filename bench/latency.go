package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// latency is scenario 4: each endpoint at a fixed offered rate of half its
// measured maximum (open loop: requests go out on schedule whether or not
// earlier ones were answered), with HDR percentiles. The reference is the
// same endpoint's median in its closed-loop run at the lowest concurrency,
// close to the unloaded service time.
func (e *Env) latency(ctx context.Context, cfg Config, levels []SettleLevel, cbs *callbacks, apis map[string]*APIResult, rep *Report) error {
	type ep struct {
		name    string
		max     float64
		tr      vegeta.Targeter
		ok      check
		idle    time.Duration
		clients int
	}
	var bestSettle SettleLevel
	for _, l := range levels {
		if l.Rate > bestSettle.Rate {
			bestSettle = l
		}
	}
	seq := &counter{}
	eps := []ep{
		{"callback (settle)", bestSettle.Rate, cbs.targeter(), callbackOK, levels[0].Gateway.Quantile(50), levels[0].Clients},
		{"POST /v1/payments", apis["create"].Best.PerSecond(), e.createTargeter(seq, "lat-"), expectStatus(http.StatusCreated), apis["create"].Levels[0].Quantile(50), apis["create"].Levels[0].Workers},
		{"GET /v1/payments/{id}", apis["read"].Best.PerSecond(), e.readTargeter(), expectStatus(http.StatusOK), apis["read"].Levels[0].Quantile(50), apis["read"].Levels[0].Workers},
		{"GET /v1/payments", apis["list"].Best.PerSecond(), e.listTargeter(), expectStatus(http.StatusOK), apis["list"].Levels[0].Quantile(50), apis["list"].Levels[0].Workers},
	}
	lines := []string{"| endpoint | offered rate | achieved | p50 | p99 | p99.9 | max | failed |", "|---|---:|---:|---:|---:|---:|---:|---:|"}
	for _, p := range eps {
		rate := p.max / 2
		if rate < 1 {
			rep.problem("latency of %s: no maximum measured", p.name)
			continue
		}
		if p.name == "callback (settle)" {
			want := int(rate*cfg.Duration.Seconds()*1.3) + 200
			if left := cbs.left(); left < want {
				f, err := e.precreate(ctx, want-left)
				if err != nil {
					return err
				}
				cbs.add(f)
			}
		}
		if err := e.quiesce(ctx); err != nil {
			return err
		}
		l := attack(ctx, p.name, p.tr, p.ok, 0, rate, cfg.Duration)
		if s := l.ErrorSummary(); s != "" {
			rep.problem("latency run of %s: %s", p.name, s)
		}
		p50 := l.Quantile(50)
		ratio := float64(p50) / float64(p.idle)
		rep.add(Row{Scenario: "4 latency @ ½ max", Metric: p.name + " p50", Gateway: msf(p50), Reference: msf(p.idle), Unit: "ms",
			Ratio: ratio, Goal: "report", Met: true, Note: fmt.Sprintf("p99 %s, p99.9 %s at %.0f/s offered, %.0f/s sent; reference: p50 closed loop, %s", ms(l.Quantile(99)), ms(l.Quantile(99.9)), rate, l.Achieved, clients(p.clients))})
		lines = append(lines, fmt.Sprintf("| %s | %.0f/s | %.0f/s | %s | %s | %s | %s | %d |", p.name, rate, l.Achieved,
			ms(p50), ms(l.Quantile(99)), ms(l.Quantile(99.9)), ms(time.Duration(l.Latency.Max())*time.Microsecond), l.Requests-l.OK))
		logf("  %-22s @ %6.0f/s  p50 %s  p99 %s  p99.9 %s", p.name, rate, ms(p50), ms(l.Quantile(99)), ms(l.Quantile(99.9)))
	}
	rep.section("4. Latency at half the measured maximum (open loop, HDR histograms)", lines...)
	return nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}
