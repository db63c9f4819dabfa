// Package batch hands the requests waiting at one moment to one call, on a
// few worker goroutines. It is the grouping under the settler's group
// commit and under payments.Reader and payments.Creator: a lone request is
// taken at once, and under load each call takes everything queued (up to
// a bound), so per-call costs are shared without any timer.
package batch

import (
	"context"
	"sync"
	"sync/atomic"
)

// Queue feeds process from Submit.
type Queue[T any] struct {
	max, workers int
	process      func(ctx context.Context, batch []T)
	in           chan T
	running      atomic.Int32
}

// New makes a queue whose workers call process with at most maxBatch
// requests at a time. process must answer every request it is given; its
// context is not cancelled when Run's is, so a batch taken is finished.
func New[T any](maxBatch, workers int, process func(ctx context.Context, batch []T)) *Queue[T] {
	return &Queue[T]{max: maxBatch, workers: workers, process: process, in: make(chan T, maxBatch*workers)}
}

// Run works until ctx ends. Start it once.
func (q *Queue[T]) Run(ctx context.Context) {
	q.running.Add(1)
	defer q.running.Add(-1)
	var wg sync.WaitGroup
	for range q.workers {
		wg.Go(func() { q.loop(ctx) })
	}
	wg.Wait()
}

// Running says whether Run is working, so callers can do the work
// themselves when nobody would take it.
func (q *Queue[T]) Running() bool { return q.running.Load() > 0 }

// Submit queues req, or gives up with ctx.
func (q *Queue[T]) Submit(ctx context.Context, req T) error {
	select {
	case q.in <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *Queue[T]) loop(ctx context.Context) {
	batch := make([]T, 0, q.max)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case req := <-q.in:
			batch = append(batch, req)
		}
	drain:
		for len(batch) < q.max {
			select {
			case req := <-q.in:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		q.process(context.WithoutCancel(ctx), batch)
	}
}
