package api_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// fieldCodes lists a problem's field errors as "field=code", sorted.
func fieldCodes(t *testing.T, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field, Code string }
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+"="+e.Code)
	}
	sort.Strings(out)
	return out
}

func TestRepeatedKeysAreRefusedAtEveryEndpoint(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	cases := []struct {
		name, path, body, field string
	}{
		{"payment", "/v1/payments", `{"service":"GPLX-CAPDOI","reference":"HS-DUP-0001","reference":"HS-DUP-0002"}`, "reference"},
		{"payment, by case", "/v1/payments", `{"service":"GPLX-CAPDOI","reference":"HS-DUP-0001","Reference":"HS-DUP-0002"}`, "Reference"},
		{"payment, nested", "/v1/payments", `{"service":"GPLX-CAPDOI","reference":"HS-DUP-0001","payer":{"name":"A","name":"B"}}`, "payer.name"},
		{"payment, metadata", "/v1/payments", `{"service":"GPLX-CAPDOI","reference":"HS-DUP-0001","metadata":{"k":"1","k":"2"}}`, "metadata.k"},
		{"quote", "/v1/quotes", `{"service":"THUE-TNDN","service":"GPLX-CAPDOI"}`, "service"},
		{"refund", "/v1/payments/pay_none/refunds", `{"amount":"1","amount":"2"}`, "amount"},
	}
	for _, tc := range cases {
		res := g.Do(t, "POST", tc.path, key, tc.body, "Idempotency-Key", "dup-"+tc.name)
		if got := fieldCodes(t, res.Body); res.Status != 422 || !contains(got, tc.field+"=duplicate_field") {
			t.Errorf("%s: %d %v", tc.name, res.Status, got)
		}
	}

	// Two bodies that differ only by a repeated key never share an
	// idempotency hash: the second is refused, not replayed.
	first := g.Do(t, "POST", "/v1/payments", key, `{"service":"GPLX-CAPDOI","reference":"HS-DUP-0009","payer":{"name":"An","id_number":"001099012345"}}`, "Idempotency-Key", "dup-hash")
	if first.Status != 201 {
		t.Fatalf("create = %d %s", first.Status, first.Body)
	}
	again := g.Do(t, "POST", "/v1/payments", key, `{"service":"GPLX-CAPDOI","reference":"HS-OTHER-01","reference":"HS-DUP-0009","payer":{"name":"An","id_number":"001099012345"}}`, "Idempotency-Key", "dup-hash")
	if again.Status != 422 || again.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("twin with a repeated key = %d %s", again.Status, again.Body)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestEveryFieldErrorAtOnceWithPaths(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	body := `{"service":"GPLX-CAPDOI","payer":{"name":"An","id_number":"001099012345","age":30},"amount":5,"colour":"red","expires_at":"soon"}`
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, body, "Idempotency-Key", "all-at-once")
	want := []string{"amount=wrong_type", "colour=unknown_field", "expires_at=invalid_timestamp", "payer.age=unknown_field", "reference=required"}
	if got := fieldCodes(t, res.Body); res.Status != 422 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%d %v, want %v", res.Status, got, want)
	}
}

func TestUnknownServiceIsNotFoundEverywhere(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	for path, body := range map[string]string{
		"/v1/payments": `{"service":"NO-SUCH-SVC","reference":"HS-NOSVC-001","payer":{"name":"An","id_number":"001099012345"}}`,
		"/v1/quotes":   `{"service":"NO-SUCH-SVC"}`,
	} {
		res := g.Do(t, "POST", path, g.Portal.TestKey, body, "Idempotency-Key", "nosvc"+path)
		if res.Status != 404 || res.JSON(t)["code"] != "service_not_found" {
			t.Errorf("%s: %d %s", path, res.Status, res.Body)
		}
	}
}

func TestBodyWithoutContentTypeIs415(t *testing.T) {
	t.Parallel()
	g, _ := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	id, token := newPayment(t, g, "HS-NOCT-0001")
	cases := []struct{ path, key string }{
		{"/v1/payments", g.Portal.TestKey},
		{"/v1/quotes", g.Portal.TestKey},
		{"/v1/payments/" + id + "/qr", token},
		{"/v1/payments/" + id + "/refunds", g.Portal.TestKey},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", g.URL+tc.path, strings.NewReader(`{"service":"GPLX-CAPDOI","reference":"HS-NOCT-0002"}`))
		req.Header.Set("Authorization", "Bearer "+tc.key)
		req.Header.Set("Idempotency-Key", "noct"+tc.path)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		_ = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if res.StatusCode != 415 || p["code"] != "unsupported_media_type" {
			t.Errorf("%s without Content-Type: %d %v", tc.path, res.StatusCode, p)
		}
	}
}

// The public lists take no parameters: a filter they do not have is
// refused rather than answered with everything.
func TestPublicListsRefuseUnknownParameters(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	cases := []struct {
		path   string
		status int
	}{
		{"/v1/services?agency=KBNN-HN", 422},
		{"/v1/agencies?code=KBNN-HN", 422},
		{"/v1/providers?name=momo", 422},
		{"/v1/services?pretty", 200},
		{"/v1/agencies", 200},
	}
	for _, tc := range cases {
		res := g.Do(t, "GET", tc.path, "", nil)
		if res.Status != tc.status || (tc.status == 422 && fieldCodes(t, res.Body)[0] != strings.SplitN(strings.SplitN(tc.path, "?", 2)[1], "=", 2)[0]+"=unknown_parameter") {
			t.Errorf("%s: %d %s", tc.path, res.Status, res.Body)
		}
	}
}
