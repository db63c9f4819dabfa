package webhooks_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/webhooks"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_test","object":"event","type":"payment.succeeded"}`)
	now := time.Unix(1700000000, 0)
	good := webhooks.Sign("whsec_test_secret", now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"rotation: second v1 matches", "t=1700000000,v1=00ff," + good[len("t=1700000000,"):], body, now, nil},
		{"body changed", good, append([]byte(" "), body...), now, webhooks.ErrBadSignature},
		{"other secret", webhooks.Sign("whsec_other", now, body), body, now, webhooks.ErrBadSignature},
		{"replayed later", good, body, now.Add(10 * time.Minute), webhooks.ErrTooOld},
		{"no v1", "t=1700000000", body, now, webhooks.ErrNoSignature},
		{"garbage", "nonsense", body, now, webhooks.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := webhooks.Verify("whsec_test_secret", tt.header, tt.body, tt.at, 0); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// The vector of the Stripe-style scheme (spec §7.2, self-computed).
func TestSignVector(t *testing.T) {
	t.Parallel()
	got := webhooks.Sign("whsec_test_secret", time.Unix(1700000000, 0), []byte(`{"id":"evt_test","object":"event","type":"payment_intent.succeeded"}`))
	if want := "t=1700000000,v1=f457ee3d89f52f9f02936e1cd1173dd5dfa132cdc78ec55ea964a53098c5a1c0"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// A portal checks each delivery like this before trusting it.
func ExampleVerify() {
	body := []byte(`{"id":"evt_1","type":"payment.succeeded"}`) // the raw request body
	header := webhooks.Sign("whsec_…", time.Now(), body)        // r.Header.Get("Civicpay-Signature")
	if err := webhooks.Verify("whsec_…", header, body, time.Now(), webhooks.DefaultTolerance); err != nil {
		fmt.Println("reject:", err)
		return
	}
	fmt.Println("verified")
	// Output: verified
}
