package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
)

// notice is one callback as the provider sends it.
type notice struct {
	method, url string
	header      http.Header
	body        []byte
	sender      string              // whose retry schedule applies: a feed, or the provider
	resign      func(notice) notice // a fresh signature for a redelivery (Casso's is timestamped)
}

// Delivered is what the gateway answered to one callback. Tests compare
// these to check that a duplicate gets the same answer as the original.
type Delivered struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error,omitempty"`
	// Late is set when the callback was scheduled for later; Status and
	// Body are then unknown.
	Late bool `json:"late,omitempty"`
}

// deliver sends the notices with the provider's callback faults applied:
// each one Duplicates extra times, all of them Late when asked.
func (s *Server) deliver(provider string, ns []notice) []Delivered {
	f, _ := s.fault(provider)
	var all []notice
	for _, n := range ns {
		for range f.Duplicates + 1 {
			all = append(all, n)
		}
	}
	retry := !f.NoRetry
	if f.Late > 0 {
		return s.deliverLater(time.Duration(f.Late), all, retry)
	}
	out := make([]Delivered, len(all))
	for i, n := range all {
		out[i] = s.send(s.stopCtx, n)
		if retry && !acknowledged(n.sender, out[i]) {
			s.redeliver(n)
		}
	}
	return out
}

func (s *Server) deliverLater(after time.Duration, all []notice, retry bool) []Delivered {
	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.closing:
			return
		}
		for _, n := range all {
			if n.resign != nil {
				n = n.resign(n)
			}
			if d := s.send(ctx, n); retry && !acknowledged(n.sender, d) {
				s.redeliver(n)
			}
		}
	}()
	out := make([]Delivered, len(all))
	for i := range out {
		out[i].Late = true
	}
	return out
}

// send posts (or, for VNPAY, gets) one notice. Only the status and the
// gateway's answer are logged, never the signed body.
func (s *Server) send(ctx context.Context, n notice) Delivered {
	var body io.Reader
	if n.body != nil {
		body = bytes.NewReader(n.body)
	}
	req, err := http.NewRequestWithContext(ctx, n.method, n.url, body)
	if err != nil {
		return Delivered{Error: err.Error()}
	}
	for k, vs := range n.header {
		req.Header[k] = vs
	}
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, whose query is a signed VNPAY IPN.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		s.cfg.Log.Warn("sandbox callback failed", "path", req.URL.Path, "err", err)
		return Delivered{Error: err.Error()}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	s.cfg.Log.Info("sandbox callback delivered", "path", req.URL.Path, "status", res.StatusCode)
	return Delivered{Status: res.StatusCode, Body: string(raw)}
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }
