package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func newServer(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	s := api.New(api.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s.Echo)
	t.Cleanup(ts.Close)
	return ts
}

func getProblem(t *testing.T, url string) (int, map[string]any, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return res.StatusCode, body, res.Header
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ts := newServer(t, pool)

	if code, _, h := getProblem(t, ts.URL+"/healthz"); code != 200 || h.Get("X-Request-ID") == "" {
		t.Fatalf("healthz = %d, request id %q", code, h.Get("X-Request-ID"))
	}
	if code, body, _ := getProblem(t, ts.URL+"/readyz"); code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz = %d %v", code, body)
	}

	// A schema behind the code is not ready.
	if _, err := pool.Exec(context.Background(), "UPDATE schema_version SET version = 0"); err != nil {
		t.Fatal(err)
	}
	code, body, h := getProblem(t, ts.URL+"/readyz")
	if code != 503 || body["code"] != "migrations_pending" || h.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("readyz with pending migrations = %d %v %s", code, body, h.Get("Content-Type"))
	}
}

func TestReadyzWithoutDatabase(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ts := newServer(t, pool)
	code, body, _ := getProblem(t, ts.URL+"/readyz")
	if code != 503 || body["code"] != "database_unavailable" {
		t.Fatalf("readyz without database = %d %v", code, body)
	}
}

func TestUnknownRouteIsProblem(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/nope", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p map[string]any
	_ = json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != 404 || p["code"] != "route_not_found" || p["request_id"] != "abc-123" {
		t.Fatalf("unknown route = %d %v", res.StatusCode, p)
	}
}

func TestCORSPreflightForWidgets(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/v1/payments/pay_x/qr", nil)
	req.Header.Set("Origin", "https://dichvucong.example.gov.vn")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("preflight = %d %v", res.StatusCode, res.Header)
	}
}

func TestRequestIDMustBePlain(t *testing.T) {
	t.Parallel()
	ts := newServer(t, nil)
	for id, keep := range map[string]bool{"abc-123.x_y": true, "not plain <b>id</b>": false, strings.Repeat("a", 65): false} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
		req.Header.Set("X-Request-ID", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("X-Request-ID")
		if keep != (got == id) || (!keep && !strings.HasPrefix(got, "req_")) {
			t.Fatalf("X-Request-ID %q answered as %q", id, got)
		}
	}
}

// TestDatabaseOutageIs503: requests that fail because PostgreSQL cannot be
// reached say so — 503 service_unavailable with Retry-After — instead of
// 500 internal_error, so clients and bank feeds retry.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ts := newServer(t, pool)
	for _, tc := range []struct{ method, path, key string }{
		{"GET", "/v1/services", ""},
		{"GET", "/v1/payments/pay_000000000000000000000000", "sk_test_0000000000000000000000000000"},
		{"POST", "/v1/payments", "sk_test_0000000000000000000000000000"},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "outage-1")
			if tc.key != "" {
				req.Header.Set("Authorization", "Bearer "+tc.key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p map[string]any
			_ = json.NewDecoder(res.Body).Decode(&p)
			if res.StatusCode != 503 || p["code"] != "service_unavailable" || res.Header.Get("Retry-After") == "" {
				t.Fatalf("%s %s without database = %d %v, Retry-After %q", tc.method, tc.path, res.StatusCode, p, res.Header.Get("Retry-After"))
			}
		})
	}
}
