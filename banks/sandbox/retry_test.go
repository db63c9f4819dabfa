package sandbox_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vietqr"
)

// TestFeedsRetryUntilAcknowledged: a bank feed whose webhook is answered
// 503 (the gateway's database is down) or not at all sends it again on its
// schedule (compressed by RetryScale) until it gets 200, each Casso retry
// freshly signed; with no_retry it sends once.
func TestFeedsRetryUntilAcknowledged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		feed    string
		noRetry bool
		want    int // deliveries seen by the gateway
	}{
		{"casso retries", sandbox.FeedCasso, false, 3},
		{"sepay retries", sandbox.FeedSePay, false, 3},
		{"casso, retries off", sandbox.FeedCasso, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			seen, badSig := 0, 0
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				seen++
				if sig := r.Header.Get("X-Casso-Signature"); sig != "" &&
					bankfeed.VerifyCasso(sandbox.CassoChecksumKey, sig, body, time.Now(), time.Second) != nil {
					badSig++
				}
				switch seen {
				case 1:
					http.Error(w, "db down", http.StatusServiceUnavailable)
				case 2:
					if hj, ok := w.(http.Hijacker); ok { // the instance died mid-callback
						c, _, _ := hj.Hijack()
						c.Close()
					}
				default:
					_, _ = w.Write([]byte(`{"success":true}`))
				}
			}))
			t.Cleanup(gw.Close)
			sb := sandbox.New(sandbox.Config{Gateway: gw.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryScale: 0.0005})
			if _, err := sb.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sb.Close() })
			if err := sb.SetFault(sandbox.VietQR, sandbox.Fault{NoRetry: tc.noRetry}); err != nil {
				t.Fatal(err)
			}
			payload, err := vietqr.Build(vietqr.Payload{BIN: "970415", Account: "113366668888", Amount: "135000", Purpose: "CP7K9Q2XT4"})
			if err != nil {
				t.Fatal(err)
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: payload, Feed: tc.feed})
			if err != nil || len(res.Callbacks) != 1 || res.Callbacks[0].Status != 503 {
				t.Fatalf("pay = %+v, %v; want one callback answered 503", res, err)
			}
			time.Sleep(500 * time.Millisecond) // 1 + 1 + 2 + 3 min at 0.0005 is under 0.25 s
			mu.Lock()
			defer mu.Unlock()
			if seen != tc.want || badSig != 0 {
				t.Fatalf("gateway saw %d deliveries (%d badly signed), want %d", seen, badSig, tc.want)
			}
		})
	}
}
