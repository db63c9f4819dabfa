package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/payments"
)

// Stream timing: a heartbeat keeps proxies from closing an idle stream, and
// a poll covers the moments the instance's LISTEN connection is down.
const (
	streamHeartbeat = 15 * time.Second
	streamPoll      = 3 * time.Second
	streamMaxAge    = 30 * time.Minute
	// streamWrite bounds each write of a stream served from its handler:
	// the server's write deadline would end a stream that outlives it, and
	// no deadline at all would let a client that stops reading hold the
	// handler forever.
	streamWrite = 10 * time.Second
)

// streamStatus is GET /v1/payments/{id}/stream?client_token=ct_…: Server-Sent
// Events of the payment's status. EventSource cannot send headers, so the
// token travels in the query string (never logged: the access log omits
// query strings). The first event is the current status; the stream ends
// after a final status.
func (s *Server) streamStatus(c echo.Context) error {
	ctx := c.Request().Context()
	id, token := c.Param("id"), c.QueryParam("client_token")
	if token == "" {
		token = bearer(c)
	}
	p, err := payments.GetWithClientToken(ctx, s.deps.Pool, id, token, s.now())
	if err != nil {
		return err
	}
	// The server's read deadline would cancel the request's context once
	// it passes (its background read fails); a GET has no body to wait for.
	rc := http.NewResponseController(c.Response().Writer)
	_ = rc.SetReadDeadline(time.Time{})
	if s.adoptStream(c, id, p.Status) {
		return nil
	}
	var updates <-chan string
	if s.deps.Hub != nil {
		ch, cancel := s.deps.Hub.Subscribe(id)
		defer cancel()
		updates = ch
	}
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := ""
	send := func(status string) bool {
		if status == last {
			return true
		}
		last = status
		data, _ := json.Marshal(map[string]string{"status": status})
		_ = rc.SetWriteDeadline(time.Now().Add(streamWrite))
		if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(string(p.Status)) || final(p.Status) {
		return nil
	}
	heartbeat, poll := time.NewTicker(streamHeartbeat), time.NewTicker(streamPoll)
	defer heartbeat.Stop()
	defer poll.Stop()
	deadline := time.After(streamMaxAge)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case st := <-updates:
			if !send(st) || final(payments.Status(st)) {
				return nil
			}
		case <-poll.C:
			if s.deps.Hub != nil && s.deps.Hub.Listening() {
				continue
			}
			cur, err := payments.GetByID(ctx, s.deps.Pool, id)
			if err != nil || !send(string(cur.Status)) || final(cur.Status) {
				return nil
			}
		case <-heartbeat.C:
			_ = rc.SetWriteDeadline(time.Now().Add(streamWrite))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}

func final(s payments.Status) bool { return !s.Open() }

// adoptStream takes the connection over from net/http and hands it to the
// hub, which then writes this stream's events from its single goroutine. It
// reports false, having written nothing, where that is not possible (no hub,
// not listening, or a ResponseWriter that cannot be hijacked); the caller
// then streams from this goroutine instead.
func (s *Server) adoptStream(c echo.Context, id string, status payments.Status) bool {
	hub := s.deps.Hub
	if hub == nil || !hub.Listening() {
		return false
	}
	conn, rw, err := http.NewResponseController(c.Response().Writer).Hijack()
	if err != nil {
		return false
	}
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "close") // the body ends when the stream does
	for k, vs := range h {
		for _, v := range vs {
			head.WriteString(k + ": " + v + "\r\n")
		}
	}
	data, _ := json.Marshal(map[string]string{"status": string(status)})
	head.WriteString("\r\nevent: status\ndata: " + string(data) + "\n\n")
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := rw.WriteString(head.String()); err != nil || rw.Flush() != nil || final(status) {
		conn.Close()
		return true
	}
	c.Response().Status = http.StatusOK
	hub.Adopt(id, conn, string(status), streamMaxAge)
	return true
}
