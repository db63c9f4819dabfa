package payments

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/idempotency"
	"github.com/civicpay/civicpay/gateway/portals"
)

// Concurrent creations share transactions, and every idempotency rule of
// CreateOne still holds inside a group: one payment per key, twins
// replayed byte for byte, a reused key refused, a refused request's key
// left free.
func TestCreatorGroupsAndKeepsIdempotency(t *testing.T) {
	t.Parallel()
	ctx, pool := fixtureDB(t)
	var mu sync.Mutex
	most := 0
	c := &Creator{Pool: pool, Workers: 1, Observe: func(n int) { mu.Lock(); most = max(most, n); mu.Unlock() }}
	c.init()
	start(ctx, c.Run, c.q.Running)
	var calls []Call
	for i := range 20 {
		calls = append(calls, call(fmt.Sprintf("own-%d", i), "HT-KHAISINH", fmt.Sprintf("HS-2026-%05d", i)))
	}
	for range 10 {
		calls = append(calls, call("twin", "HT-KHAISINH", "HS-2026-TWIN"))
	}
	calls = append(calls, call("reused", "HT-KHAISINH", "HS-2026-R1"), call("reused", "HT-KHAISINH", "HS-2026-R2"))
	calls = append(calls, call("refused", "NO-SUCH-SERVICE", "HS-2026-X"))

	results := make([]*idempotency.Stored, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { results[i], errs[i] = c.Create(ctx, calls[i]) })
	}
	wg.Wait()

	for i := range 20 {
		if errs[i] != nil || results[i].Status != 201 || results[i].Replayed {
			t.Errorf("own key %d: %+v %v", i, results[i], errs[i])
		}
	}
	var twinBody string
	replayed := 0
	for i := 20; i < 30; i++ {
		if errs[i] != nil {
			t.Fatalf("twin %d: %v", i, errs[i])
		}
		if twinBody == "" {
			twinBody = string(results[i].Body)
		}
		if string(results[i].Body) != twinBody {
			t.Errorf("twins answered differently:\n%s\n%s", results[i].Body, twinBody)
		}
		if results[i].Replayed {
			replayed++
		}
	}
	if replayed != 9 {
		t.Errorf("%d of 10 twins replayed, want 9", replayed)
	}
	if reused := []error{errs[30], errs[31]}; (reused[0] == nil) == (reused[1] == nil) ||
		!errors.Is(reused[0], idempotency.ErrKeyReused) && !errors.Is(reused[1], idempotency.ErrKeyReused) {
		t.Errorf("one key, two bodies: %v, %v", reused[0], reused[1])
	}
	if !errors.Is(errs[32], catalog.ErrUnknownService) {
		t.Errorf("unknown service: %v", errs[32])
	}
	var payments, keys int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM payments WHERE portal_id = $1 AND reference LIKE 'HS-%' AND id NOT LIKE 'pay_rd%'),
		(SELECT count(*) FROM idempotency_keys WHERE key = 'refused')`, who.PortalID).Scan(&payments, &keys); err != nil {
		t.Fatal(err)
	}
	if payments != 22 || keys != 0 {
		t.Errorf("%d payments (want 20 own + 1 twin + 1 reused = 22), %d keys left by the refused request (want 0)", payments, keys)
	}
	if most < 2 {
		t.Errorf("%d concurrent creations never shared a transaction", len(calls))
	}
}

// A key locked by a long transaction elsewhere holds up only its own
// request: its group times out on the lock and the others are created one
// by one while the lock is still held.
func TestCreatorDoesNotStallAGroupOnOneLockedKey(t *testing.T) {
	t.Parallel()
	ctx, pool := fixtureDB(t)
	c := &Creator{Pool: pool, Workers: 1}
	c.init()
	start(ctx, c.Run, c.q.Running)
	byKey := func(key string) Call { return call(key, "HT-KHAISINH", "HS-2026-"+key) }
	// Another session claims "stuck" and does not commit.
	held, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(ctx)
	if _, err := held.Exec(ctx, claimSQLForTest, who.PortalID, "STUCK"); err != nil {
		t.Fatal(err)
	}
	stuck := make(chan error, 1)
	go func() { _, err := c.Create(ctx, byKey("STUCK")); stuck <- err }()
	others := make(chan error, 8)
	for i := range 8 {
		go func() { _, err := c.Create(ctx, byKey(fmt.Sprintf("FREE%d", i))); others <- err }()
	}
	for range 8 {
		select {
		case err := <-others:
			if err != nil {
				t.Errorf("a free key: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("free keys still waiting on the locked one")
		}
	}
	select {
	case err := <-stuck:
		t.Fatalf("the locked key's request finished while the lock was held: %v", err)
	default:
	}
	if err := held.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-stuck; err != nil {
		t.Errorf("the locked key, once free: %v", err)
	}
}

// who may collect for the fixtures' agency.
var who = portals.Principal{PortalID: "por_portalAAAA0001", Agencies: map[string]bool{"KBNN-HCM": true}}

// call is a creation by who under key, its body hashed from service and ref.
func call(key, service, ref string) Call {
	return Call{Who: who, Now: time.Now(),
		Key: idempotency.Key{PortalID: who.PortalID, Key: key, Method: "POST", Path: "/v1/payments", Hash: idempotency.Hash([]byte(service + ref))},
		Req: CreateRequest{Service: service, Reference: ref, Payer: &Payer{Name: "Nguyễn Văn An", IDNumber: "001099012345"}}}
}

const claimSQLForTest = `INSERT INTO idempotency_keys (portal_id, livemode, key, method, path, request_hash, status, response_body)
VALUES ($1, false, $2, 'POST', '/v1/payments', '\x00', 0, '')`
