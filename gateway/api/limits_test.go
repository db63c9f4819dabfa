package api_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/maintenance"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestRateLimitPerPortal(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	if _, err := g.Pool.Exec(context.Background(), `UPDATE portals SET rate_per_minute = 60 WHERE id = $1`, g.Portal.ID); err != nil {
		t.Fatal(err)
	}
	limited := 0
	for i := 0; i < 40; i++ {
		res := g.Do(t, "GET", "/v1/payments?limit=1", g.Portal.TestKey, nil)
		if res.Status == 429 {
			limited++
			if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n < 1 || res.JSON(t)["code"] != "rate_limited" {
				t.Fatalf("429 without a usable Retry-After: %v %s", res.Header, res.Body)
			}
		} else if res.Status != 200 {
			t.Fatalf("request %d = %d %s", i, res.Status, res.Body)
		}
	}
	// A burst of 10 is allowed at 60/min; the rest of 40 quick requests are not.
	if limited < 20 {
		t.Fatalf("only %d of 40 requests were limited", limited)
	}
}

func TestExpirySweep(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	soon := time.Now().Add(6 * time.Minute).UTC().Format(time.RFC3339)
	body := feeBody("HS-2026-000990")
	body["expires_at"] = soon
	id := g.Do(t, "POST", "/v1/payments", key, body, "Idempotency-Key", "exp").JSON(t)["id"].(string)
	later := g.Do(t, "POST", "/v1/payments", key, feeBody("HS-2026-000991"), "Idempotency-Key", "exp2").JSON(t)["id"].(string)

	n, err := maintenance.ExpireNow(context.Background(), g.Pool, g.App.Outbox, time.Now().Add(10*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if s := g.Do(t, "GET", "/v1/payments/"+id, key, nil).JSON(t)["status"]; s != "expired" {
		t.Fatalf("overdue payment is %v", s)
	}
	if s := g.Do(t, "GET", "/v1/payments/"+later, key, nil).JSON(t)["status"]; s != "requires_payment_method" {
		t.Fatalf("payment not yet due is %v", s)
	}
	if c := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.expired'`, id); c != 1 {
		t.Fatalf("payment.expired events = %d", c)
	}
	// Sweeping again changes nothing.
	if n, _ := maintenance.ExpireNow(context.Background(), g.Pool, g.App.Outbox, time.Now().Add(10*time.Minute)); n != 0 {
		t.Fatalf("second sweep expired %d", n)
	}
}
