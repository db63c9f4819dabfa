package api_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// Every answer to a portal carries its quota, so it can pace itself before
// it is refused; a refusal says when to come back.
func TestRateLimitHeadersLetAPortalPaceItself(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	if _, err := g.Pool.Exec(context.Background(), `UPDATE portals SET rate_per_minute = 60 WHERE id = $1`, g.Portal.ID); err != nil {
		t.Fatal(err)
	}
	num := func(res gatewaytest.Response, name string) int {
		n, err := strconv.Atoi(res.Header.Get(name))
		if err != nil {
			t.Fatalf("%s = %q: %v (headers %v)", name, res.Header.Get(name), err, res.Header)
		}
		return n
	}
	first := g.Do(t, "GET", "/v1/payments?limit=1", g.Portal.TestKey, nil)
	// 60 a minute: a bucket of 10 (ten seconds' worth) refilled one a second.
	if first.Status != 200 || first.Header.Get("RateLimit-Policy") != "10;w=10" || num(first, "RateLimit-Limit") != 10 ||
		num(first, "RateLimit-Remaining") != 9 || num(first, "RateLimit-Reset") != 1 {
		t.Fatalf("first answer %d %v", first.Status, first.Header)
	}
	// An answer that is an error still carries the quota.
	bad := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, `{"nope":1}`, "Idempotency-Key", "rl-bad")
	if bad.Status != 422 || num(bad, "RateLimit-Remaining") > 8 {
		t.Fatalf("error answer %d %v", bad.Status, bad.Header)
	}
	prev := 8
	for i := 0; i < 20; i++ {
		res := g.Do(t, "GET", "/v1/payments?limit=1", g.Portal.TestKey, nil)
		left, reset := num(res, "RateLimit-Remaining"), num(res, "RateLimit-Reset")
		if left > prev || reset < 1 || reset > 10 {
			t.Fatalf("request %d: remaining %d after %d, reset %d", i, left, prev, reset)
		}
		prev = left
		if res.Status == 429 {
			if left != 0 || num(res, "Retry-After") < 1 || res.Header.Get("RateLimit-Policy") != "10;w=10" {
				t.Fatalf("429 headers %v", res.Header)
			}
			return
		}
	}
	t.Fatal("22 quick requests at 60 a minute were never refused")
}
