package sandbox

import (
	"encoding/json"
	"time"
)

// Real providers send a callback again when the merchant's answer is not
// an acknowledgement, on their own schedules (docs/PROVIDERS.md, "Callback
// retries", with sources and which are assumptions). The sandbox does the
// same, so a gateway that was down or died mid-callback gets another
// chance, as it would in production; Config.RetryScale compresses the
// schedules for tests, and Fault.NoRetry turns them off for one provider
// to exercise what the gateway must recover by itself.

// RetrySchedules are the waits before each redelivery, by sender (a feed
// for bank transfers, the provider otherwise).
var RetrySchedules = map[string][]time.Duration{
	// SePay: 7 retries, Fibonacci minutes, ~33 min in all (documented).
	FeedSePay: {time.Minute, time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 8 * time.Minute, 13 * time.Minute},
	// Casso: retries on failure without a published schedule; assumed
	// SePay's.
	FeedCasso: {time.Minute, time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 8 * time.Minute, 13 * time.Minute},
	// MoMo: no published IPN retry; assumed three more tries.
	MoMo: {time.Minute, 5 * time.Minute, 15 * time.Minute},
	// VNPAY: re-sends an IPN not answered 00/02 (secondary sources);
	// assumed up to 10 tries 5 min apart.
	VNPay: {5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute},
	// ZaloPay: calls back again, up to 3 times, on return_code 0 (its
	// sample code); spacing assumed.
	ZaloPay: {time.Minute, 2 * time.Minute, 4 * time.Minute},
}

// acknowledged says whether the sender takes an answer as final. A
// transport error or a status outside 2xx never is; VNPAY also wants
// RspCode 00 or 02 and ZaloPay a return_code other than 0.
func acknowledged(sender string, d Delivered) bool {
	if d.Error != "" || d.Status < 200 || d.Status > 299 {
		return false
	}
	switch sender {
	case VNPay:
		var r struct{ RspCode string }
		return json.Unmarshal([]byte(d.Body), &r) == nil && (r.RspCode == "00" || r.RspCode == "02")
	case ZaloPay:
		var r struct {
			ReturnCode int `json:"return_code"`
		}
		return json.Unmarshal([]byte(d.Body), &r) == nil && r.ReturnCode != 0
	}
	return true
}

// scaled is a schedule's wait on the sandbox's clock.
func (s *Server) scaled(d time.Duration) time.Duration {
	if s.cfg.RetryScale > 0 {
		return time.Duration(float64(d) * s.cfg.RetryScale)
	}
	return d
}

// redeliver sends n again on its sender's schedule until it is
// acknowledged, the schedule ends or the sandbox closes.
func (s *Server) redeliver(n notice) {
	schedule := RetrySchedules[n.sender]
	if len(schedule) == 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for i, wait := range schedule {
			t := time.NewTimer(s.scaled(wait))
			select {
			case <-t.C:
			case <-s.closing:
				t.Stop()
				return
			}
			if n.resign != nil {
				n = n.resign(n)
			}
			d := s.send(s.stopCtx, n)
			s.retries.Add(1)
			if acknowledged(n.sender, d) {
				return
			}
			if i == len(schedule)-1 {
				s.cfg.Log.Warn("sandbox callback given up after its retries", "sender", n.sender, "tries", len(schedule)+1)
			}
		}
	}()
}

// Retries counts redeliveries sent (for tests and the fault probe).
func (s *Server) Retries() int64 { return s.retries.Load() }
