package api

import (
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func newRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "req_" + b32.EncodeToString(b)
}

var plainID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// dropUnplainRequestID forgets a client's X-Request-ID unless it is short
// and plain, before the RequestID middleware copies it into the response,
// problems and logs; a fresh id is generated instead.
func dropUnplainRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := c.Request().Header.Get(echo.HeaderXRequestID); id != "" && !plainID.MatchString(id) {
			c.Request().Header.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// accessLog writes one structured line per request. Query strings are left
// out on purpose: client tokens travel there for EventSource.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		res := c.Response()
		if s.deps.Metrics != nil {
			s.deps.Metrics.ObserveHTTP(req.Method, c.Path(), res.Status, time.Since(start))
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		s.deps.Log.LogAttrs(req.Context(), level, "http",
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.RealIP()),
		)
		return nil
	}
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.deps.Log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err, "stack", string(stack))
	return err
}
