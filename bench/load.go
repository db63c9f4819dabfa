package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Load is what one attack measured.
type Load struct {
	Name     string
	Requests int64 // answered or failed
	OK       int64 // answered as expected
	Elapsed  time.Duration
	// Latency of every request, in microseconds (HDR, 3 significant digits).
	Latency  *hdrhistogram.Histogram
	Fixed    map[float64]time.Duration // instead of Latency: percentiles wrk computed (HDR too)
	Errors   map[string]int64
	Workers  int     // closed loop: concurrent clients
	Offered  float64 // open loop: requests per second asked for
	Achieved float64 // open loop: requests per second sent
	CPU      CPU     // per request (wrk runs only)
}

// PerSecond is the rate of expected answers.
func (l Load) PerSecond() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.OK) / l.Elapsed.Seconds()
}

// Quantile is a latency percentile (q in percent, e.g. 99.9).
func (l Load) Quantile(q float64) time.Duration {
	if l.Latency == nil {
		return l.Fixed[q]
	}
	return time.Duration(l.Latency.ValueAtQuantile(q)) * time.Microsecond
}

// ErrorSummary names the most frequent failure, for the report.
func (l Load) ErrorSummary() string {
	best, n := "", int64(0)
	for k, v := range l.Errors {
		if v > n {
			best, n = k, v
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d failed, mostly %q", l.Requests-l.OK, best)
}

// check decides whether an answer is the expected one; "" means yes.
type check func(*vegeta.Result) string

func expectStatus(codes ...uint16) check {
	return func(r *vegeta.Result) string {
		if r.Error != "" && r.Code == 0 {
			return r.Error
		}
		for _, c := range codes {
			if r.Code == c {
				return ""
			}
		}
		body := string(r.Body)
		if len(body) > 160 {
			body = body[:160]
		}
		return fmt.Sprintf("HTTP %d %s", r.Code, body)
	}
}

// attack runs targets against the gateway: closed loop with workers
// clients when rate is 0 (each sends its next request when the last is
// answered), else open loop at rate requests per second.
func attack(ctx context.Context, name string, tr vegeta.Targeter, ok check, workers int, rate float64, d time.Duration) Load {
	opts := []func(*vegeta.Attacker){
		vegeta.KeepAlive(true),
		vegeta.Timeout(60 * time.Second),
		vegeta.MaxBody(4096),
		vegeta.Redirects(vegeta.NoFollow),
	}
	var pacer vegeta.Pacer
	if rate > 0 {
		pacer = vegeta.ConstantPacer{Freq: int(rate + 0.5), Per: time.Second}
		// Enough workers to keep the schedule through a stall of a few
		// hundred milliseconds, bounded so an overloaded gateway is not
		// buried under thousands of connections (the achieved rate then
		// falls short of the offered one, which the report shows).
		opts = append(opts, vegeta.Workers(64), vegeta.MaxWorkers(1024), vegeta.Connections(1024))
	} else {
		pacer = vegeta.ConstantPacer{Freq: 0}
		opts = append(opts, vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.Connections(workers))
	}
	a := vegeta.NewAttacker(opts...)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()

	l := Load{Name: name, Latency: hdrhistogram.New(1, int64(120*time.Second/time.Microsecond), 3), Errors: map[string]int64{}, Workers: workers, Offered: rate}
	var first, last time.Time
	for r := range a.Attack(tr, pacer, d, name) {
		if r.Error == errNoTargets.Error() {
			continue
		}
		l.Requests++
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if r.End().After(last) {
			last = r.End()
		}
		_ = l.Latency.RecordValue(max(int64(r.Latency/time.Microsecond), 1))
		if msg := ok(r); msg != "" {
			l.Errors[msg]++
			continue
		}
		l.OK++
	}
	l.Elapsed = last.Sub(first)
	if rate > 0 && l.Elapsed > 0 {
		l.Achieved = float64(l.Requests) / l.Elapsed.Seconds()
	}
	return l
}

// errNoTargets ends an attack whose targeter ran dry (no more fresh
// payments to settle); its marker result is not a request.
var errNoTargets = fmt.Errorf("bench: no more targets")

// counter hands out increasing numbers to concurrent targeters.
type counter struct {
	mu sync.Mutex
	n  int64
}

func (c *counter) next() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}
