package portals

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Cache remembers resolved keys for a short time, so a busy portal costs one
// key lookup per TTL instead of one per request. A key revoked, or a portal
// deactivated, on another instance stops working there within TTL; the
// instance that made the change calls Forget and it stops at once. A rolled
// key is never kept past its expiry. Entries are keyed by the key's hash;
// the clear key is not kept.
type Cache struct {
	TTL time.Duration
	Max int

	mu sync.Mutex
	m  map[[32]byte]cached
}

type cached struct {
	p   Principal
	exp time.Time
}

// Authenticate is portals.Authenticate through the cache. Failures are not
// cached, so a key created a moment ago works at once.
func (c *Cache) Authenticate(ctx context.Context, db pg.Querier, key string, now time.Time) (Principal, error) {
	h := sha256.Sum256([]byte(key))
	c.mu.Lock()
	if e, ok := c.m[h]; ok && now.Before(e.exp) {
		c.mu.Unlock()
		return e.p, nil
	}
	c.mu.Unlock()
	p, err := Authenticate(ctx, db, key)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max() {
		c.m = make(map[[32]byte]cached) // simplest bound: start over
	}
	exp := now.Add(c.ttl())
	if !p.ExpiresAt.IsZero() && p.ExpiresAt.Before(exp) {
		exp = p.ExpiresAt
	}
	c.m[h] = cached{p: p, exp: exp}
	return p, nil
}

// Forget drops every cached key. Key and portal changes are rare, so
// dropping all is simpler than finding the changed key's entries (which
// are keyed by a hash the changer does not know).
func (c *Cache) Forget() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

func (c *Cache) ttl() time.Duration {
	if c.TTL <= 0 {
		return 10 * time.Second
	}
	return c.TTL
}

func (c *Cache) max() int {
	if c.Max <= 0 {
		return 10000
	}
	return c.Max
}
