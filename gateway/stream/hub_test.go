package stream_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/stream"
	"github.com/civicpay/civicpay/internal/pgtest"
)

// fakeStatuses stands in for the payments table: the test changes a status
// without a NOTIFY, as a change committed while the hub was not listening.
type fakeStatuses struct {
	mu sync.Mutex
	m  map[string]string
}

func (f *fakeStatuses) set(id, s string) { f.mu.Lock(); f.m[id] = s; f.mu.Unlock() }

func (f *fakeStatuses) poll(_ context.Context, ids []string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, id := range ids {
		if s, ok := f.m[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

// TestHubReReadsStatusesWhenItConnects: a stream subscribed before the hub
// listens, or while its connection is down, gets the status that changed
// meanwhile as soon as the hub is connected — announced by no NOTIFY — and
// does so again after each of several reconnections in a row (the reconnect
// delay starts small again once connected).
func TestHubReReadsStatusesWhenItConnects(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &fakeStatuses{m: map[string]string{"pay_sub": "succeeded", "pay_adopted": "pending"}}
	hub := &stream.Hub{ConnString: pool.Config().ConnString(), Poll: st.poll,
		Final: func(s string) bool { return s != "pending" }}
	updates, unsubscribe := hub.Subscribe("pay_sub")
	defer unsubscribe()
	go hub.Run(ctx)
	select {
	case s := <-updates:
		if s != "succeeded" {
			t.Fatalf("first status after connecting = %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stream subscribed before the hub connected never got the status that changed meanwhile")
	}
	waitFor(t, hub.Listening)

	// An adopted stream: the hub owns its connection.
	server, client := net.Pipe()
	defer client.Close()
	if !hub.Adopt("pay_adopted", server, "pending", time.Minute) {
		t.Fatal("hub did not adopt the stream")
	}
	events := make(chan string, 16)
	go func() {
		r := bufio.NewReader(client)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(events)
				return
			}
			if strings.HasPrefix(line, "data: ") {
				events <- strings.TrimSpace(line)
			}
		}
	}()

	statuses := []string{"requires_payment_method", "pending", "requires_payment_method", "pending", "requires_payment_method", "pending"}
	for i, want := range statuses {
		// The LISTEN connection dies; the status changes with nobody listening.
		if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		st.set("pay_sub", want)
		select {
		case s := <-updates:
			if s != want {
				t.Fatalf("reconnection %d: status %q, want %q", i+1, s, want)
			}
		case <-time.After(1500 * time.Millisecond):
			t.Fatalf("reconnection %d: the subscribed stream did not get the status changed while the hub was down", i+1)
		}
	}
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	st.set("pay_adopted", "succeeded")
	select {
	case e := <-events:
		if !strings.Contains(e, `"succeeded"`) {
			t.Fatalf("adopted stream got %s", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the adopted stream did not get the status changed while the hub was down")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
