package stream

import (
	"context"
	"net"
	"time"
)

// Adopted streams are connections taken over from net/http once their
// response headers are written: an idle stream then costs a socket and a
// small struct, not two goroutines, their stacks, buffers and timers. One
// hub goroutine writes every adopted stream's events and a shared
// heartbeat, and closes streams that end, fail or grow too old.

type adopted struct {
	id      string
	conn    net.Conn
	last    string
	expires time.Time
}

// Heartbeat and write limits for adopted streams.
const (
	adoptedHeartbeat = 15 * time.Second
	adoptedPoll      = 3 * time.Second
	catchUpEvery     = 250 * time.Millisecond
	writeTimeout     = 2 * time.Second
)

// Adopt hands a stream's connection to the hub, which now owns it. last is
// the status already sent. It reports false (and closes conn) when the hub
// is not running.
func (h *Hub) Adopt(id string, conn net.Conn, last string, maxAge time.Duration) bool {
	a := &adopted{id: id, conn: conn, last: last, expires: time.Now().Add(maxAge)}
	h.mu.Lock()
	ch, stopped := h.adoptCh, h.stopped
	h.mu.Unlock()
	if ch == nil {
		conn.Close()
		return false
	}
	select {
	case ch <- a:
		return true
	case <-stopped:
		conn.Close()
		return false
	}
}

// tend is the one goroutine that writes to adopted streams.
func (h *Hub) tend(ctx context.Context, adoptCh chan *adopted, notes chan string, resync <-chan struct{}) {
	streams := map[string]map[*adopted]struct{}{}
	beat, poll := time.NewTicker(adoptedHeartbeat), time.NewTicker(adoptedPoll)
	catch := time.NewTicker(catchUpEvery)
	defer beat.Stop()
	defer poll.Stop()
	defer catch.Stop()
	fresh := map[string]bool{} // payments with streams adopted since the last catch-up
	defer func() {
		for _, m := range streams {
			for a := range m {
				a.conn.Close()
			}
		}
		h.adopted.Store(0)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-adoptCh:
			if streams[a.id] == nil {
				streams[a.id] = map[*adopted]struct{}{}
			}
			streams[a.id][a] = struct{}{}
			h.adopted.Add(1)
			fresh[a.id] = true
		case <-catch.C:
			// A change may have slipped in between reading the status and
			// adoption: one query covers every payment adopted since.
			if len(fresh) > 0 {
				ids := make([]string, 0, len(fresh))
				for id := range fresh {
					ids = append(ids, id)
				}
				clear(fresh)
				h.catchUp(ctx, streams, ids)
			}
		case <-resync:
			// The hub has just (re)connected: whatever changed while it
			// was not listening was announced to nobody.
			if len(streams) > 0 {
				ids := make([]string, 0, len(streams))
				for id := range streams {
					ids = append(ids, id)
				}
				h.catchUp(ctx, streams, ids)
			}
		case n := <-notes:
			id, status, _ := cut(n)
			h.deliver(streams, id, status)
		case now := <-beat.C:
			h.heartbeat(streams, now)
		case <-poll.C:
			if !h.Listening() && len(streams) > 0 {
				ids := make([]string, 0, len(streams))
				for id := range streams {
					ids = append(ids, id)
				}
				h.catchUp(ctx, streams, ids)
			}
		}
	}
}

// catchUp reads current statuses from the database (Poll) and delivers them.
func (h *Hub) catchUp(ctx context.Context, streams map[string]map[*adopted]struct{}, ids []string) {
	if h.Poll == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	statuses, err := h.Poll(ctx, ids)
	if err != nil {
		return
	}
	for id, st := range statuses {
		h.deliver(streams, id, st)
	}
}

// deliver writes a new status to every adopted stream of the payment and
// ends the streams when the status is final.
func (h *Hub) deliver(streams map[string]map[*adopted]struct{}, id, status string) {
	final := h.Final != nil && h.Final(status)
	for a := range streams[id] {
		if status != a.last {
			a.last = status
			if !write(a.conn, "event: status\ndata: {\"status\":\""+status+"\"}\n\n") {
				final = true
			}
		}
		if final {
			a.conn.Close()
			delete(streams[id], a)
			h.adopted.Add(-1)
		}
	}
	if len(streams[id]) == 0 {
		delete(streams, id)
	}
}

func (h *Hub) heartbeat(streams map[string]map[*adopted]struct{}, now time.Time) {
	for id, m := range streams {
		for a := range m {
			if now.After(a.expires) || !write(a.conn, ": keep-alive\n\n") {
				a.conn.Close()
				delete(m, a)
				h.adopted.Add(-1)
			}
		}
		if len(m) == 0 {
			delete(streams, id)
		}
	}
}

func write(c net.Conn, s string) bool {
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.Write([]byte(s))
	return err == nil
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
