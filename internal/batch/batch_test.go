package batch

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Every request submitted is processed once, in batches no larger than the
// bound; requests that arrive together share a batch.
func TestQueueProcessesEveryRequestInBoundedBatches(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	seen := map[int]int{}
	var sizes []int
	release := make(chan struct{})
	q := New(8, 1, func(_ context.Context, b []int) {
		<-release // hold the worker so the rest queue up behind it
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(b))
		for _, n := range b {
			seen[n]++
		}
	})
	if q.Running() {
		t.Fatal("running before Run")
	}
	go q.Run(ctx)
	for !q.Running() {
		time.Sleep(time.Millisecond)
	}
	// While the worker holds its first request, the queue (8 × 1 worker)
	// takes eight more; the rest go once it is released.
	for n := range 40 {
		if n == 9 {
			close(release)
		}
		if err := q.Submit(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := len(seen) == 40
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for n := range 40 {
		if seen[n] != 1 {
			t.Errorf("request %d processed %d times", n, seen[n])
		}
	}
	most := 0
	for _, s := range sizes {
		if s > 8 {
			t.Errorf("a batch of %d, bound 8", s)
		}
		most = max(most, s)
	}
	if most < 2 {
		t.Errorf("queued requests never shared a batch: %v", sizes)
	}
}
