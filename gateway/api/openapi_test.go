package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc := api.OpenAPI()
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
	for _, name := range []string{"Payment", "PaymentCreate", "PaymentList", "Quote", "QuoteRequest", "Agency", "Service",
		"LedgerAccount", "JournalEntry", "DailyTotal", "Event", "QR", "Provider", "Refund", "Problem"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s is missing", name)
		}
	}
	// Every operation answers problems for its errors, and every request
	// body is closed to unknown fields like the handlers' strict decoder.
	for path, item := range doc.Paths.Map() {
		if strings.HasPrefix(path, "/v1/callbacks/") {
			continue
		}
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s %s has no operationId or summary", method, path)
			}
			for code, res := range op.Responses.Map() {
				if code >= "400" && res.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s %s: %s is not a problem", method, path, code)
				}
			}
			if op.RequestBody != nil {
				s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
					t.Errorf("%s %s: request body takes unknown fields", method, path)
				}
			}
		}
	}
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIDocumentsEveryRoute keeps the router and the document in step:
// each route echo serves is documented, and each documented operation is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	s := api.New(api.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	served := map[string]bool{}
	for _, r := range s.Echo.Routes() {
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		if gatewaytest.ContractSkipped(path) || strings.HasSuffix(path, "*") && gatewaytest.ContractSkipped(strings.TrimSuffix(path, "*")) {
			continue
		}
		served[r.Method+" "+path] = true
	}
	documented := map[string]bool{}
	for path, item := range api.OpenAPI().Paths.Map() {
		for method := range item.Operations() {
			if gatewaytest.ContractSkipped(path) || strings.HasPrefix(path, "/v1/callbacks/") {
				continue
			}
			documented[method+" "+path] = true
		}
	}
	for _, route := range sortedSet(served) {
		if !documented[route] {
			t.Errorf("route %s is not in openapi.yaml", route)
		}
	}
	for _, op := range sortedSet(documented) {
		if !served[op] {
			t.Errorf("openapi.yaml documents %s, which is not served", op)
		}
	}
	for _, want := range []string{"GET /openapi.json", "GET /docs"} {
		found := false
		for _, r := range s.Echo.Routes() {
			found = found || r.Method+" "+r.Path == want
		}
		if !found {
			t.Errorf("%s is not served", want)
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIJSONAndDocsPage(t *testing.T) {
	t.Parallel()
	s := api.New(api.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s.Echo)
	t.Cleanup(ts.Close)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}

	res, body := get("/openapi.json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("Cache-Control") != "public, max-age=300" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("/openapi.json = %d %v", res.StatusCode, res.Header)
	}
	// The served JSON is the same contract: it loads, validates, and has every operation.
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("served document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("served document does not validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths.Len() != api.OpenAPI().Paths.Len() || len(doc.Components.Schemas) != len(api.OpenAPI().Components.Schemas) {
		t.Fatalf("served document differs: %s, %d paths, %d schemas", doc.OpenAPI, doc.Paths.Len(), len(doc.Components.Schemas))
	}

	res, body = get("/docs")
	page := string(body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Fatalf("/docs = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "//cdn") {
		t.Error("/docs loads something from elsewhere or runs script")
	}
	for path, item := range api.OpenAPI().Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.Contains(page, `id="op-`+op.OperationID+`"`) || !strings.Contains(page, ">"+path+"<") {
				t.Errorf("/docs lacks %s %s (#op-%s)", method, path, op.OperationID)
			}
		}
	}
	for _, want := range []string{`id="schema-Payment"`, `id="schema-Problem"`, "Idempotency-Key", "application/problem+json", "secretKey"} {
		if !strings.Contains(page, want) {
			t.Errorf("/docs lacks %s", want)
		}
	}
}
