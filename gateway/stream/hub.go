// Package stream pushes payment status changes to browsers. Every gateway
// instance LISTENs on PostgreSQL's payment_status channel (a trigger on
// payments NOTIFYs each change, in the changing transaction, so only
// committed changes are announced), and fans notifications out to the
// Server-Sent Event streams it holds. Any instance can therefore serve any
// payment's stream, whichever instance settled it.
package stream

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the NOTIFY channel migration 002 announces changes on.
const Channel = "payment_status"

// Hub holds the subscribers of one instance.
type Hub struct {
	ConnString string
	Log        *slog.Logger
	// Poll reads payments' statuses, for adopted streams while LISTEN is
	// down and right after adoption; Final says which statuses end a stream.
	Poll  func(ctx context.Context, ids []string) (map[string]string, error)
	Final func(status string) bool

	adoptCh chan *adopted
	stopped chan struct{}
	notes   chan string
	adopted atomic.Int64

	mu   sync.Mutex
	subs map[string]map[chan string]struct{}
	up   bool
}

// Subscribe returns a channel of new statuses for payment id, and a cancel
// function. The channel holds the latest status only: a slow browser
// skips intermediate states instead of blocking the hub.
func (h *Hub) Subscribe(id string) (<-chan string, func()) {
	ch := make(chan string, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[string]map[chan string]struct{}{}
	}
	if h.subs[id] == nil {
		h.subs[id] = map[chan string]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

// Listening says whether the hub is currently connected; when it is not,
// streams fall back to polling the database.
func (h *Hub) Listening() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

// Adopted counts the streams the hub's goroutine owns (for metrics and tests).
func (h *Hub) Adopted() int { return int(h.adopted.Load()) }

// Subscribers counts open streams, adopted or not (for metrics and tests).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.Adopted()
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}

func (h *Hub) publish(payload string) {
	id, status, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	h.mu.Lock()
	for ch := range h.subs[id] {
		select {
		case <-ch: // drop the stale status; the newest wins
		default:
		}
		ch <- status
	}
	notes := h.notes
	h.mu.Unlock()
	if notes != nil {
		notes <- payload // adopted streams; tend keeps up or holds LISTEN back
	}
}

// Run listens until ctx ends, reconnecting with bounded backoff, and tends
// the adopted streams.
func (h *Hub) Run(ctx context.Context) {
	adoptCh, notes, stopped := make(chan *adopted, 1024), make(chan string, 1024), make(chan struct{})
	resync := make(chan struct{}, 1)
	h.mu.Lock()
	h.adoptCh, h.notes, h.stopped = adoptCh, notes, stopped
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(stopped)
		h.tend(ctx, adoptCh, notes, resync)
	}()
	defer func() {
		h.mu.Lock()
		h.adoptCh, h.notes = nil, nil
		h.mu.Unlock()
		<-done
	}()
	backoff := minBackoff
	for ctx.Err() == nil {
		connected, err := h.listen(ctx, resync)
		h.setUp(false)
		if ctx.Err() != nil {
			return
		}
		if h.Log != nil {
			h.Log.Warn("status stream lost its LISTEN connection; streams poll until it is back", "err", err)
		}
		// A connection that was up is a fresh outage: reconnect quickly
		// again rather than at the delay a long outage grew to.
		if connected {
			backoff = minBackoff
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// Reconnect delays of the LISTEN connection.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

func (h *Hub) setUp(up bool) {
	h.mu.Lock()
	h.up = up
	h.mu.Unlock()
}

// listen holds the LISTEN connection until it fails; connected says
// whether it got as far as listening. Once listening, every followed
// payment's status is read again: changes committed while the hub was
// down (or before it first connected) were NOTIFYed to nobody, and the
// streams stop polling as soon as the hub is up.
func (h *Hub) listen(ctx context.Context, resync chan<- struct{}) (connected bool, err error) {
	conn, err := pgx.Connect(ctx, h.ConnString)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return false, err
	}
	h.setUp(true)
	select {
	case resync <- struct{}{}: // adopted streams: tend reads them all again
	default: // one is pending already
	}
	h.resyncSubscribers(ctx)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		h.publish(n.Payload)
	}
}

// resyncSubscribers reads the status of every payment with a subscribed
// (not adopted) stream and hands it to those streams, which skip a status
// they have already sent.
func (h *Hub) resyncSubscribers(ctx context.Context) {
	if h.Poll == nil {
		return
	}
	h.mu.Lock()
	ids := make([]string, 0, len(h.subs))
	for id := range h.subs {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	statuses, err := h.Poll(ctx, ids)
	if err != nil {
		if h.Log != nil {
			h.Log.Warn("status stream could not re-read statuses after connecting", "err", err)
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, status := range statuses {
		for ch := range h.subs[id] {
			select {
			case <-ch:
			default:
			}
			ch <- status
		}
	}
}
