package breaker

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a bounded retry policy with full jitter: before try n+1 it
// sleeps a random time in [0, min(Max, Base·2ⁿ⁻¹)). Jitter spreads the
// retries of many gateway requests that failed together, so a provider
// coming back is not hit by all of them at the same instant.
type Backoff struct {
	Attempts int // total tries, at least 1
	Base     time.Duration
	Max      time.Duration
}

// Delay is the sleep before the try after try number try (1-based).
func (p Backoff) Delay(try int) time.Duration {
	ceiling := p.Base
	for i := 1; i < try && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// Retry calls fn until it succeeds, returns a Permanent or Rejected error,
// the tries run out, or ctx ends. It returns fn's last error.
func (p Backoff) Retry(ctx context.Context, fn func(try int) error) error {
	attempts := max(p.Attempts, 1)
	var err error
	for try := 1; ; try++ {
		if err = fn(try); err == nil || isPermanent(err) || try >= attempts {
			return err
		}
		t := time.NewTimer(p.Delay(try))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
