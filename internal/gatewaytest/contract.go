package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/civicpay/civicpay/gateway/api"
)

// ContractSkipped says whether a path is outside the JSON API contract:
// provider callbacks (each provider's own dialect), the widget's static
// files, the document and its page, health checks, Prometheus metrics and
// the demo portal.
func ContractSkipped(path string) bool {
	switch path {
	case "/", "/openapi.json", "/docs", "/healthz", "/readyz", "/metrics":
		return true
	}
	for _, prefix := range []string{"/v1/callbacks/", "/widget/", "/demo/"} {
		if strings.HasPrefix(path, prefix) || path == strings.TrimSuffix(prefix, "/") {
			return true
		}
	}
	return false
}

var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func contractRouter() (*openapi3.T, routers.Router, error) {
	contract.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				contract.err = fmt.Errorf("%v", r)
			}
		}()
		contract.doc = api.OpenAPI()
		contract.router, contract.err = gorillamux.NewRouter(contract.doc)
	})
	return contract.doc, contract.router, contract.err
}

// ContractCheck wraps a handler so that every request to the JSON API is
// checked against gateway/api/openapi.yaml: the route must be documented,
// the response (status, headers, body) must match the document, and a
// request the gateway accepted (status below 400) must match it too. A
// request refused with 4xx is usually refused on purpose by the test, so
// only its (problem) response is checked. Mismatches are t.Errorf.
//
// Checking runs after the response is complete, off the request's path, so
// it adds no latency to timing-sensitive tests; a cleanup waits for the
// checks before the test ends. Register ContractCheck before the server's
// own cleanup (t.Cleanup runs last-in first-out), as Start does.
func ContractCheck(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	doc, router, err := contractRouter()
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	var (
		mu      sync.Mutex
		pending sync.WaitGroup
		done    bool
	)
	t.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
		pending.Wait()
	})
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// CORS preflights are answered by middleware for every route.
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if preflight || ContractSkipped(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			var body []byte
			if r.Body != nil && r.Body != http.NoBody {
				body, _ = io.ReadAll(r.Body)
				_ = r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			probe := r.Clone(context.Background())
			rec := &recorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			// A hijacked event stream never calls WriteHeader; its headers tell.
			streaming := rec.streaming || strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream")
			res := &exchange{status: rec.status, streaming: streaming, header: rec.Header().Clone(), body: rec.body.Bytes()}
			mu.Lock()
			defer mu.Unlock()
			if done {
				return // the test is over: nobody to report to
			}
			pending.Add(1)
			go func() {
				defer pending.Done()
				if err := checkExchange(doc, router, probe, body, res); err != nil {
					t.Errorf("contract: %s %s → %d: %v\nresponse: %.2000s", probe.Method, probe.URL.RequestURI(), res.status, err, res.body)
				}
			}()
		})
	}
}

// exchange is a finished response, as checked.
type exchange struct {
	status    int
	streaming bool
	header    http.Header
	body      []byte
}

func checkExchange(doc *openapi3.T, router routers.Router, req *http.Request, body []byte, rec *exchange) error {
	if rec.status >= 500 && rec.status != http.StatusServiceUnavailable {
		return errors.New("the gateway answered a server error")
	}
	setBody := func() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	setBody()
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Echo's own answers to paths and methods it has no route for.
		switch {
		case errors.Is(err, routers.ErrPathNotFound) && rec.status == http.StatusNotFound && rec.problemCode() == "route_not_found",
			errors.Is(err, routers.ErrMethodNotAllowed) && rec.status == http.StatusMethodNotAllowed:
			return rec.checkProblem(doc)
		}
		return fmt.Errorf("route is not documented in openapi.yaml (%v)", err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:  credentialPresent,
		SkipSettingDefaults: true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rec.status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("accepted request does not match the document: %w", err)
		}
		setBody()
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rec.status,
		Header:                 rec.header,
		Body:                   io.NopCloser(bytes.NewReader(rec.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: rec.streaming},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response does not match the document: %w", err)
	}
	return nil
}

// credentialPresent accepts any credential of the scheme's kind: whether a
// key is valid is the gateway's business and tested elsewhere; the contract
// only says which kind of credential an operation takes.
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	tok := ""
	if h := req.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	}
	switch in.SecuritySchemeName {
	case "secretKey":
		if strings.HasPrefix(tok, "sk_test_") || strings.HasPrefix(tok, "sk_live_") {
			return nil
		}
	case "adminKey":
		if strings.HasPrefix(tok, "ak_") {
			return nil
		}
	case "clientToken":
		if strings.HasPrefix(tok, "ct_") {
			return nil
		}
	case "clientTokenQuery":
		if strings.HasPrefix(req.URL.Query().Get("client_token"), "ct_") {
			return nil
		}
	}
	return fmt.Errorf("no %s credential", in.SecuritySchemeName)
}

// recorder passes the response through and keeps a copy of it, except the
// body of an event stream, which never ends on its own.
type recorder struct {
	http.ResponseWriter
	status    int
	streaming bool
	body      bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.streaming = strings.HasPrefix(r.Header().Get("Content-Type"), "text/event-stream")
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !r.streaming {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() { _ = http.NewResponseController(r.ResponseWriter).Flush() }

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *exchange) problemCode() string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

// checkProblem validates an answer without a documented route against the
// document's Problem schema.
func (r *exchange) checkProblem(doc *openapi3.T) error {
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("content type %q, want application/problem+json", ct)
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		return fmt.Errorf("problem body is not JSON: %w", err)
	}
	return doc.Components.Schemas["Problem"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}
