package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"time"
)

// Modes of a provider's server-to-server API (create, query, refund).
const (
	ModeUp          = ""            // answers normally
	ModeDown        = "down"        // drops the connection: the caller sees a transport error
	ModeUnavailable = "unavailable" // 503
	ModeError       = "error"       // 500
	ModeSlow        = "slow"        // answers after Delay
	ModeHang        = "hang"        // never answers (until the fault is cleared or the caller gives up)
)

// Fault is how one provider misbehaves. API faults (Mode, Delay) affect the
// calls the gateway makes; callback faults affect what the provider sends
// the gateway.
type Fault struct {
	Mode  string   `json:"mode,omitempty"`
	Delay Duration `json:"delay,omitempty"`
	// Calls limits the API fault to the next Calls calls, after which the
	// provider behaves again (0: until cleared). One slow call is how a
	// lost answer looks: the provider did the work, the caller timed out.
	Calls int `json:"calls,omitempty"`
	// BadSignature signs callbacks with the wrong key.
	BadSignature bool `json:"bad_signature,omitempty"`
	// Duplicates sends each callback this many extra times.
	Duplicates int `json:"duplicates,omitempty"`
	// Late holds each callback this long before sending it (after the
	// control API has answered).
	Late Duration `json:"late,omitempty"`
	// OutOfOrder follows a success with a stale failure notice for the same
	// order, as when an earlier attempt's notification arrives last.
	OutOfOrder bool `json:"out_of_order,omitempty"`
	// WrongAmount reports 1,000 đồng more than the order's amount.
	WrongAmount bool `json:"wrong_amount,omitempty"`
	// RefundAnswer (MoMo) is the resultCode every refund request is
	// answered with instead of its real one: 1000, 7000 or 7002
	// (processing), 40 or 41 (duplicate), 43 (conflict) or 99 (unknown).
	// The refund is still done, or declined, as usual; the transaction
	// query tells the truth.
	RefundAnswer int `json:"refund_answer,omitempty"`
	// RefundDecline (MoMo) declines new refunds with 1080, a final failure.
	RefundDecline bool `json:"refund_decline,omitempty"`
	// RefundProcessing (MoMo) keeps a new refund processing: its answer
	// and its first RefundProcessing queries say 7000.
	RefundProcessing int `json:"refund_processing,omitempty"`
	// NoRetry sends each callback once, whatever the gateway answers,
	// instead of retrying as the provider does (RetrySchedules).
	NoRetry bool `json:"no_retry,omitempty"`
}

// ambiguousRefundAnswers are the codes RefundAnswer may take: the answers
// that say nothing final about a refund.
var ambiguousRefundAnswers = map[int]bool{1000: true, 7000: true, 7002: true, 40: true, 41: true, 43: true, 99: true}

func (f Fault) validate() error {
	switch f.Mode {
	case ModeUp, ModeDown, ModeUnavailable, ModeError, ModeSlow, ModeHang:
	default:
		return errors.New(`mode must be "", down, unavailable, error, slow or hang`)
	}
	switch {
	case f.Delay < 0 || f.Late < 0 || time.Duration(f.Delay) > time.Hour || time.Duration(f.Late) > time.Hour:
		return errors.New("delay and late must be from 0 to 1h")
	case f.Calls < 0:
		return errors.New("calls must be 0 or more")
	case f.Duplicates < 0 || f.Duplicates > 10:
		return errors.New("duplicates must be from 0 to 10")
	case f.Mode == ModeSlow && f.Delay == 0:
		return errors.New("slow needs a delay")
	case f.RefundAnswer != 0 && !ambiguousRefundAnswers[f.RefundAnswer]:
		return errors.New("refund_answer must be 1000, 7000, 7002, 40, 41, 43 or 99")
	case f.RefundProcessing < 0 || f.RefundProcessing > 100:
		return errors.New("refund_processing must be from 0 to 100")
	}
	return nil
}

// Duration is a time.Duration written "2s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`durations are strings such as "2s"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// SetFault makes provider misbehave; the zero Fault restores it.
func (s *Server) SetFault(provider string, f Fault) error {
	if !known(provider) {
		return errors.New("unknown provider " + provider)
	}
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, provider)
	} else {
		s.faults[provider] = f
	}
	close(s.changed) // releases hanging requests so they re-read their fault
	s.changed = make(chan struct{})
	return nil
}

// Reset clears every fault.
func (s *Server) Reset() {
	for _, p := range Providers {
		_ = s.SetFault(p, Fault{})
	}
}

func (s *Server) fault(provider string) (Fault, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[provider], s.changed
}

func known(provider string) bool {
	for _, p := range Providers {
		if p == provider {
			return true
		}
	}
	return false
}

// api wraps a provider's server-to-server endpoint with its fault. A slow
// provider does the work at once and answers late, so a caller that gives
// up has still created whatever it asked for — the case retries with the
// same request id exist for. A hanging provider does nothing until the
// caller leaves or the fault is cleared.
func (s *Server) api(provider string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for {
			f, changed := s.takeFault(provider)
			switch f.Mode {
			case ModeDown:
				drop(w)
				return
			case ModeUnavailable:
				http.Error(w, "service unavailable (sandbox fault)", http.StatusServiceUnavailable)
				return
			case ModeError:
				http.Error(w, "internal error (sandbox fault)", http.StatusInternalServerError)
				return
			case ModeSlow:
				rec := httptest.NewRecorder()
				h(rec, r)
				if sleep(r, time.Duration(f.Delay), changed) {
					copyResponse(w, rec)
				}
				return
			case ModeHang:
				select {
				case <-r.Context().Done():
					return
				case <-changed:
					continue // the fault changed: apply the new one
				}
			}
			h(w, r)
			return
		}
	}
}

// takeFault reads provider's fault for one API call, counting the call
// against Calls.
func (s *Server) takeFault(provider string) (Fault, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[provider]
	if f.Calls > 0 && f.Mode != ModeUp {
		left := f
		if left.Calls--; left.Calls == 0 {
			left.Mode, left.Delay = ModeUp, 0
		}
		s.faults[provider] = left
		if left == (Fault{}) {
			delete(s.faults, provider)
		}
	}
	return f, s.changed
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// sleep waits d, or less if the fault changes; false if the caller left.
func sleep(r *http.Request, d time.Duration, changed <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-changed:
	case <-t.C:
	}
	return true
}

// drop closes the connection without an answer, which is what a caller of
// a provider that is down experiences (connection reset or refused).
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	http.Error(w, "down (sandbox fault)", http.StatusServiceUnavailable)
}
