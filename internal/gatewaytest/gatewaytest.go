// Package gatewaytest starts a real gateway for tests: a fresh migrated and
// seeded database, the echo server on a loopback port, and a demo portal
// with its keys. Tests talk to it over HTTP like any portal would.
package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/app"
	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/internal/pgtest"
)

// Gateway is a running test gateway.
type Gateway struct {
	URL    string
	Pool   *pgxpool.Pool
	Portal portals.Created
	App    *app.App
	Server *api.Server
	Deps   api.Deps
}

// Option adjusts the dependencies before the server is built.
type Option func(*api.Deps)

// Start seeds a fresh database and serves the API on 127.0.0.1, with the
// settler and status hub running. River's workers are started by
// StartWorkers, for tests that need deliveries or sweeps.
func Start(t testing.TB, opts ...Option) *Gateway {
	t.Helper()
	pool := pgtest.New(t)
	seeded, err := demo.Seed(context.Background(), pool, "")
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	g := serve(t, pool, opts...)
	g.Portal = seeded.Portal
	return g
}

// Attach starts another gateway on an existing database, as a second
// instance or a restarted process would be.
func Attach(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Gateway {
	t.Helper()
	return serve(t, pool, opts...)
}

func serve(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Gateway {
	t.Helper()
	ctx := context.Background()
	g := &Gateway{Pool: pool}
	a, err := app.New(app.Config{
		Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fees: func(string) banks.Fee { return banks.Fee{} },
		Adjust: func(d *api.Deps) {
			for _, o := range opts {
				o(d)
			}
			g.Deps = *d
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	if err := a.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(ContractCheck(t)(a.Server.Echo))
	t.Cleanup(func() {
		ts.Close()
		stopCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = a.Stop(stopCtx)
		cancel()
	})
	g.URL, g.App, g.Server = ts.URL, a, a.Server
	return g
}

// StartWorkers runs River's workers (webhook delivery, expiry sweeps).
func (g *Gateway) StartWorkers(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.App.River.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = g.App.River.Stop(stopCtx)
		cancel()
	})
}

// Response is a decoded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Do sends a request with the given bearer key and headers (pairs).
func (g *Gateway) Do(t testing.TB, method, path, key string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Count runs a SELECT count(*) style query.
func (g *Gateway) Count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := g.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
