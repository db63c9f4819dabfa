// Package breaker keeps one slow or failing provider from hurting the rest
// of the gateway. Every outbound call of an adapter goes through its
// provider's Breaker, which combines three guards:
//
//   - a gobreaker circuit breaker, so a provider that keeps failing is not
//     called at all for a while (the router then fails over at once);
//   - a bound on concurrent calls, so a provider that hangs can hold at
//     most MaxConcurrent goroutines and connections, never the whole pool;
//   - a deadline per try, and bounded retries with jittered backoff for
//     calls that are safe to send twice.
//
// The retries run inside one breaker request: a call that needed three
// tries is one failure or one success to the breaker, which keeps the trip
// rule ("N consecutive failed calls") meaningful.
package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Settings are one provider's limits. Zero fields take the defaults below.
type Settings struct {
	// Failures is the trip rule: this many consecutive failed calls open
	// the breaker.
	Failures int
	// Open is how long the breaker stays open before letting probes through.
	Open time.Duration
	// Probes is how many calls the half-open breaker lets through, and how
	// many consecutive successes close it again.
	Probes int
	// Timeout is the deadline of each try of a call.
	Timeout time.Duration
	// MaxConcurrent bounds the calls in flight; one more fails fast.
	MaxConcurrent int
	// Attempts bounds the tries of a repeatable call (1 = no retry).
	Attempts int
	// Backoff is the first retry's ceiling; it doubles up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// Defaults are conservative for a payment page: a citizen waits at most
// about Timeout × Attempts for one provider before the router moves on.
var Defaults = Settings{
	Failures: 5, Open: 30 * time.Second, Probes: 2, Timeout: 8 * time.Second,
	MaxConcurrent: 32, Attempts: 3, Backoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
}

// withDefaults fills zero fields so a partial configuration is still safe.
func (s Settings) withDefaults() Settings {
	d := Defaults
	if s.Failures <= 0 {
		s.Failures = d.Failures
	}
	if s.Open <= 0 {
		s.Open = d.Open
	}
	if s.Probes <= 0 {
		s.Probes = d.Probes
	}
	if s.Timeout <= 0 {
		s.Timeout = d.Timeout
	}
	if s.MaxConcurrent <= 0 {
		s.MaxConcurrent = d.MaxConcurrent
	}
	if s.Attempts <= 0 {
		s.Attempts = d.Attempts
	}
	if s.Backoff <= 0 {
		s.Backoff = d.Backoff
	}
	if s.MaxBackoff < s.Backoff {
		s.MaxBackoff = max(d.MaxBackoff, s.Backoff)
	}
	return s
}

// Call describes one outbound call for retries and logs.
type Call struct {
	// Op names the call in logs and errors: "create", "query", "refund".
	Op string
	// Repeatable says the call may be sent again after a failure without
	// creating anything twice: reads, and writes the provider dedupes on an
	// id we send (MoMo requestId, ZaloPay app_trans_id). Only repeatable
	// calls are retried.
	Repeatable bool
}

// Breaker guards one provider.
type Breaker struct {
	name  string
	s     Settings
	cb    *gobreaker.CircuitBreaker[struct{}]
	slots chan struct{}
	log   *slog.Logger

	requests, successes, failures, shorted atomic.Uint64
	consecutive                            atomic.Uint64
	window                                 window

	probe   func(context.Context) error
	probing atomic.Bool
}

// New builds the breaker of one provider.
func New(name string, s Settings, log *slog.Logger) *Breaker {
	if log == nil {
		log = slog.Default()
	}
	s = s.withDefaults()
	b := &Breaker{name: name, s: s, slots: make(chan struct{}, s.MaxConcurrent), log: log}
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: uint32(s.Probes),
		Timeout:     s.Open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(s.Failures) },
		IsSuccessful: func(err error) bool {
			return err == nil || errors.Is(err, ErrRejected)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, ErrCanceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			log.Warn("provider breaker changed state", "provider", name, "from", from.String(), "to", to.String())
		},
	})
	return b
}

// Name is the provider's name.
func (b *Breaker) Name() string { return b.name }

// Settings are the effective limits, defaults filled in.
func (b *Breaker) Settings() Settings { return b.s }

// Do runs fn under the breaker, the concurrency bound and the deadline,
// retrying a repeatable call. fn gets a context that ends at the try's
// deadline; it must return an error wrapping ErrRejected when the provider
// answered but refused, so that a healthy provider saying "no" does not
// trip its breaker and is not retried.
func (b *Breaker) Do(ctx context.Context, c Call, fn func(context.Context) error) error {
	select {
	case b.slots <- struct{}{}:
	default:
		b.shorted.Add(1)
		return &CallError{Provider: b.name, Op: c.Op, Err: ErrBusy}
	}
	defer func() { <-b.slots }()
	_, err := b.cb.Execute(func() (struct{}, error) {
		return struct{}{}, b.tries(ctx, c, fn)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		b.shorted.Add(1)
		return &CallError{Provider: b.name, Op: c.Op, Err: ErrOpen}
	}
	b.count(err)
	if err != nil {
		return &CallError{Provider: b.name, Op: c.Op, Err: err}
	}
	return nil
}

// tries is the retry loop that runs inside one breaker request.
func (b *Breaker) tries(ctx context.Context, c Call, fn func(context.Context) error) error {
	policy := Backoff{Attempts: b.s.Attempts, Base: b.s.Backoff, Max: b.s.MaxBackoff}
	if !c.Repeatable {
		policy.Attempts = 1
	}
	return policy.Retry(ctx, func(try int) error {
		return b.try(ctx, fn)
	})
}

// try runs fn once with its own deadline and names what went wrong.
func (b *Breaker) try(ctx context.Context, fn func(context.Context) error) error {
	tctx, cancel := context.WithTimeout(ctx, b.s.Timeout)
	defer cancel()
	err := fn(tctx)
	switch {
	case err == nil || errors.Is(err, ErrRejected):
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		return Permanent(fmt.Errorf("%w: %w", ErrCanceled, err))
	case tctx.Err() != nil:
		return fmt.Errorf("%w after %s: %w", ErrTimeout, b.s.Timeout, err)
	}
	return err
}

func (b *Breaker) count(err error) {
	if errors.Is(err, ErrCanceled) {
		return
	}
	b.requests.Add(1)
	ok := err == nil || errors.Is(err, ErrRejected)
	b.window.add(ok)
	if ok {
		b.successes.Add(1)
		b.consecutive.Store(0)
		return
	}
	b.failures.Add(1)
	b.consecutive.Add(1)
}

// Open reports whether calls are refused right now. A breaker whose open
// interval has passed is half-open, which is not open: probes may go.
func (b *Breaker) Open() bool { return b.cb.State() == gobreaker.StateOpen }

// State is "closed", "open" or "half-open".
func (b *Breaker) State() string { return b.cb.State().String() }

// Snapshot is a breaker's health for GET /v1/providers and for routing.
type Snapshot struct {
	Provider            string
	State               string
	Requests            uint64 // calls that reached the provider
	Successes           uint64 // ... and got an answer (a refusal is an answer)
	Failures            uint64 // ... and failed: transport, 5xx, timeout
	ConsecutiveFailures uint64
	ShortCircuited      uint64  // calls refused by the open breaker or the bound
	InFlight            int     // calls holding a slot now
	SuccessRate         float64 // over the last RecentCalls calls; 1 before any
	RecentCalls         int     // calls the rate is over, at most 50
	Settings            Settings
}

// Snapshot reads the counters; they are cumulative since start.
func (b *Breaker) Snapshot() Snapshot {
	rate, n := b.window.rate()
	return Snapshot{
		SuccessRate: rate, RecentCalls: n,
		Provider: b.name, State: b.State(),
		Requests: b.requests.Load(), Successes: b.successes.Load(), Failures: b.failures.Load(),
		ConsecutiveFailures: b.consecutive.Load(), ShortCircuited: b.shorted.Load(),
		InFlight: len(b.slots), Settings: b.s,
	}
}

// SetProbe gives the breaker a cheap, harmless call (a status query) to
// send when half-open. Without probes a breaker would stay half-open until
// real traffic happened to be routed to its provider, which the router
// avoids while healthier providers exist.
func (b *Breaker) SetProbe(probe func(context.Context) error) { b.probe = probe }

// MaybeProbe starts probing in the background when the breaker is
// half-open and no probe is running. It returns at once; callers may call
// it as often as they like (the router does, on every routing decision).
func (b *Breaker) MaybeProbe() {
	if b.probe == nil || b.cb.State() != gobreaker.StateHalfOpen || !b.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.probing.Store(false)
		b.probeLoop()
	}()
}

// probeLoop sends up to Probes probes, stopping at the first failure
// (which reopens the breaker) or once the breaker has closed.
func (b *Breaker) probeLoop() {
	for range b.s.Probes {
		err := b.Do(context.Background(), Call{Op: "probe"}, b.probe)
		if err != nil || b.cb.State() != gobreaker.StateHalfOpen {
			return
		}
	}
}

// window remembers the outcome of the last calls for the success rate the
// router ranks providers by; the breaker's own counts reset on every state
// change and so say little about "recently".
type window struct {
	mu   sync.Mutex
	ring [windowSize]bool
	n    int // calls recorded, saturating at windowSize
	next int
}

const windowSize = 50

func (w *window) add(ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ring[w.next] = ok
	w.next = (w.next + 1) % windowSize
	if w.n < windowSize {
		w.n++
	}
}

func (w *window) rate() (float64, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == 0 {
		return 1, 0
	}
	ok := 0
	for i := range w.n {
		if w.ring[i] {
			ok++
		}
	}
	return float64(ok) / float64(w.n), w.n
}
