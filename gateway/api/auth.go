package api

import (
	"net/http"
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
		if wait, ok := s.limits.allow(p.PortalID, p.RatePerMinute); !ok {
			pr := problem.New(http.StatusTooManyRequests, "rate_limited", "too many requests for this portal; retry later")
			pr.RetryAfter = int(wait.Seconds()) + 1
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

func (l *limiters) allow(portal string, perMinute int) (time.Duration, bool) {
	l.mu.Lock()
	lim, ok := l.m[portal]
	if !ok {
		if l.m == nil {
			l.m = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(perMinute/6, 10))
		l.m[portal] = lim
	}
	l.mu.Unlock()
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return d, false
	}
	return 0, true
}
