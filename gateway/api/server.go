// Package api is the HTTP edge of the gateway: echo routes, middleware, and
// the single table that turns domain errors into problem+json responses.
// Handlers stay thin; the work happens in the domain packages.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/metrics"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/gateway/routing"
	"github.com/civicpay/civicpay/gateway/settlement"
	"github.com/civicpay/civicpay/gateway/stream"
	"github.com/civicpay/civicpay/migrations"
	"github.com/civicpay/civicpay/wasm/assets"
)

// MaxBody bounds every request body; payment requests are small.
const MaxBody = "64K"

// Deps is what the HTTP edge needs from the rest of the gateway.
type Deps struct {
	Pool      *pgxpool.Pool
	Log       *slog.Logger
	PublicURL string
	Outbox    *events.Outbox
	// Now is the clock; tests move it.
	Now func() time.Time
	// Methods lists the payment methods the widget may offer.
	Methods func() []string
	// Hub pushes status changes to SSE streams; nil means poll only.
	Hub *stream.Hub
	// Metrics collects Prometheus metrics; nil disables them.
	Metrics *metrics.Metrics
	// Settler records provider callbacks (group commit).
	Settler *settlement.Settler
	// Reader batches concurrent payment reads; nil reads one by one.
	Reader *payments.Reader
	// Creator groups concurrent creations into shared transactions; nil
	// creates one by one.
	Creator *payments.Creator
	// Router issues provider orders (POST /v1/payments/{id}/qr) and reports
	// provider health; nil: no provider is configured.
	Router *routing.Router
	// Providers verify and answer callbacks, by provider name.
	Providers map[string]banks.Provider
	// Keyring seals providers' credentials (admin API); nil: none can be set.
	Keyring *credentials.Keyring
}

// Server is the configured echo instance.
type Server struct {
	Echo   *echo.Echo
	deps   Deps
	limits limiters
	keys   portals.Cache
}

func (s *Server) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now()
	}
	return time.Now()
}

// New builds the echo instance with middleware and every route.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = serializer{}
	s := &Server{Echo: e, deps: d}
	e.HTTPErrorHandler = s.handleError
	e.Pre(dropUnplainRequestID)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: newRequestID,
		// A client's own id is kept only when it is short and plain, so logs stay clean.
		Skipper: func(echo.Context) bool { return false },
	}))
	e.Use(s.accessLog)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBody, Skipper: bigBody}))
	// Widgets call the API from portals' own origins with a client token in
	// the Authorization header; no cookies are ever used, so any origin may
	// ask and credentials stay off.
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: []string{"*"},
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", echo.HeaderXRequestID},
		ExposeHeaders: []string{echo.HeaderXRequestID, "Idempotent-Replayed", "Retry-After", "Date", // Date: the widget's countdown runs on the gateway's clock
			"RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"},
		MaxAge: 600,
	}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if d.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))
	}
	e.GET("/widget/*", echo.WrapHandler(assets.Handler()))
	e.HEAD("/widget/*", echo.WrapHandler(assets.Handler()))
	s.routesCatalog()
	s.routesPayments()
	s.routesQuotes()
	s.routesInsurance()
	s.routesSettlement()
	s.routesRefunds()
	s.routesProviders()
	s.routesAdmin()
	s.routesDocs()
	s.routesReceipts()
	return s
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when PostgreSQL answers within two seconds and every
// migration is applied; load balancers take the instance out otherwise.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Pool.Ping(ctx); err != nil {
		return problem.New(http.StatusServiceUnavailable, "database_unavailable", "PostgreSQL did not answer within 2s")
	}
	cur, latest, riverOK, err := migrations.Status(ctx, s.deps.Pool)
	if err != nil {
		return problem.New(http.StatusServiceUnavailable, "database_unavailable", "could not read the migration version")
	}
	if cur != latest || !riverOK {
		return problem.New(http.StatusServiceUnavailable, "migrations_pending", "the database schema is not current; run 'civicpay migrate'")
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "schema_version": cur})
}
