package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/problem"
)

const principalKey = "civicpay.principal"

func bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireKey authenticates a portal's secret key and applies its rate limit.
func (s *Server) requireKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := bearer(c)
		if key == "" {
			return problem.New(http.StatusUnauthorized, "unauthenticated", "send Authorization: Bearer sk_test_… or sk_live_…")
		}
		p, err := s.keys.Authenticate(c.Request().Context(), s.deps.Pool, key, s.now())
		if err != nil {
			return err
		}
		q, ok := s.limits.allow(p.PortalID, p.RatePerMinute, time.Now())
		q.writeHeaders(c.Response().Header())
		if !ok {
			pr := problem.New(http.StatusTooManyRequests, "rate_limited", "too many requests for this portal; retry later")
			pr.RetryAfter = int(q.wait.Seconds()) + 1
			return pr
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principal(c echo.Context) portals.Principal {
	p, _ := c.Get(principalKey).(portals.Principal)
	return p
}

// limiters holds one token bucket per portal. It is per instance: with N
// gateway instances a portal may reach N times its rate, which protects each
// instance, the point of the limit.
type limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// burst is a portal's bucket: ten seconds of its per-minute rate, and at
// least 10 requests, so a page that fires a few calls at once is not refused.
func burst(perMinute int) int { return max(perMinute/6, 10) }

// quota is what a portal has left, for the RateLimit headers (IETF
// draft-ietf-httpapi-ratelimit-headers): the bucket holds limit requests
// and refills at perMinute/60 a second.
type quota struct {
	limit, remaining, perMinute int
	reset, wait                 time.Duration
}

func (l *limiters) allow(portal string, perMinute int, now time.Time) (quota, bool) {
	l.mu.Lock()
	lim, ok := l.m[portal]
	if !ok {
		if l.m == nil {
			l.m = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(float64(perMinute)/60), burst(perMinute))
		l.m[portal] = lim
	}
	l.mu.Unlock()
	q := quota{limit: lim.Burst(), perMinute: perMinute}
	r := lim.ReserveN(now, 1)
	allowed := true
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		q.wait, allowed = d, false
	}
	tokens := lim.TokensAt(now)
	q.remaining = max(int(tokens), 0)
	if missing := float64(q.limit) - tokens; missing > 0 {
		q.reset = time.Duration(missing * 60 / float64(perMinute) * float64(time.Second))
	}
	return q, allowed
}

// writeHeaders tells the portal where it stands on every answer, so it can
// pace itself instead of learning its rate from 429s: RateLimit-Policy is
// the bucket (limit requests, refilled over w seconds), RateLimit-Limit and
// RateLimit-Remaining what it holds and has left, RateLimit-Reset the
// seconds until it is full again.
func (q quota) writeHeaders(h http.Header) {
	window := (q.limit*60 + q.perMinute - 1) / q.perMinute
	h.Set("RateLimit-Policy", strconv.Itoa(q.limit)+";w="+strconv.Itoa(window))
	h.Set("RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(q.reset.Seconds()))))
}
