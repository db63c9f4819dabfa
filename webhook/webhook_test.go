package webhook_test

import (
	"errors"
	"fmt"
	"go/build"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/webhook"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_test","object":"event","type":"payment.succeeded"}`)
	now := time.Unix(1700000000, 0)
	good := webhook.Sign("whsec_test_secret", now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"rotation: second v1 matches", "t=1700000000,v1=00ff," + good[len("t=1700000000,"):], body, now, nil},
		{"body changed", good, append([]byte(" "), body...), now, webhook.ErrBadSignature},
		{"other secret", webhook.Sign("whsec_other", now, body), body, now, webhook.ErrBadSignature},
		{"replayed later", good, body, now.Add(10 * time.Minute), webhook.ErrTooOld},
		{"no v1", "t=1700000000", body, now, webhook.ErrNoSignature},
		{"garbage", "nonsense", body, now, webhook.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Verify("whsec_test_secret", tt.header, tt.body, tt.at, 0); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// The vector of the Stripe-style scheme (spec §7.2, self-computed).
func TestSignVector(t *testing.T) {
	t.Parallel()
	got := webhook.Sign("whsec_test_secret", time.Unix(1700000000, 0), []byte(`{"id":"evt_test","object":"event","type":"payment_intent.succeeded"}`))
	if want := "t=1700000000,v1=f457ee3d89f52f9f02936e1cd1173dd5dfa132cdc78ec55ea964a53098c5a1c0"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// A portal checks each delivery like this before trusting it.
func ExampleVerify() {
	body := []byte(`{"id":"evt_1","type":"payment.succeeded"}`) // the raw request body
	header := webhook.Sign("whsec_…", time.Now(), body)         // r.Header.Get("Civicpay-Signature")
	if err := webhook.Verify("whsec_…", header, body, time.Now(), webhook.DefaultTolerance); err != nil {
		fmt.Println("reject:", err)
		return
	}
	fmt.Println("verified")
	// Output: verified
}

// A portal imports this package into its own service: it must bring no
// module of the gateway's along.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	t.Parallel()
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("webhook imports %s; a portal would have to take it on too", imp)
		}
	}
}
