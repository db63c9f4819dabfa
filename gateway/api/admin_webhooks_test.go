package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/internal/gatewaytest"
	"github.com/civicpay/civicpay/webhook"
)

// receiver keeps every delivery's body and signature header, but for the
// receipt.issued that follows each payment.succeeded (its own test covers
// it), so the count is one per payment.
type receiver struct {
	mu   sync.Mutex
	got  [][2]string
	hits int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if !strings.Contains(string(body), `"type":"receipt.issued"`) {
		r.mu.Lock()
		r.got = append(r.got, [2]string{string(body), req.Header.Get(webhook.Header)})
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) deliveries() [][2]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][2]string(nil), r.got...)
}

// An endpoint registered through the admin API gets the events it wants,
// signed with its own secret; after a rotation each delivery carries one
// v1= per active secret, so either verifies.
func TestWebhookEndpointsAndSecretRotation(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	op := bootstrap(t, g)
	all, refunds := &receiver{}, &receiver{}
	allSrv, refundSrv := httptest.NewServer(all), httptest.NewServer(refunds)
	defer allSrv.Close()
	defer refundSrv.Close()
	base := "/v1/admin/portals/" + g.Portal.ID + "/webhook_endpoints"

	bad := g.Do(t, "POST", base, op, map[string]any{"url": "http://127.0.0.1:9/hook", "livemode": true, "event_types": []string{"payment.bogus"}})
	if codes := fieldCodeMap(t, bad); bad.Status != 422 || codes["url"] != "invalid_url" || codes["event_types"] != "unknown_event_type" {
		t.Fatalf("live http URL to loopback and an unknown type: %d %s", bad.Status, bad.Body)
	}
	for _, u := range []string{"https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest", "https://100.64.0.1/x", "https://[::1]/x"} {
		if res := g.Do(t, "POST", base, op, map[string]any{"url": u, "livemode": true}); res.Status != 422 {
			t.Errorf("live endpoint %s: %d, want 422", u, res.Status)
		}
	}
	created := g.Do(t, "POST", base, op, map[string]any{"url": allSrv.URL})
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	ep := created.JSON(t)
	first := ep["secret"].(string)
	if res := g.Do(t, "POST", base, op, map[string]any{"url": refundSrv.URL, "event_types": []string{"refund.succeeded"}}); res.Status != 201 {
		t.Fatalf("second endpoint: %d %s", res.Status, res.Body)
	}
	list := g.Do(t, "GET", base, op, nil)
	if strings.Contains(string(list.Body), first) || len(list.JSON(t)["data"].([]any)) != 2 {
		t.Fatalf("list must show two endpoints and no secret: %s", list.Body)
	}
	g.StartWorkers(t)

	pay := func(ref string) {
		id := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody(ref), "Idempotency-Key", ref).JSON(t)["id"].(string)
		settle(t, g, id, "txn-"+ref)
	}
	pay("HS-WE-000001")
	waitForDelivery(t, "the first delivery", func() bool { return len(all.deliveries()) == 1 })
	d := all.deliveries()[0]
	if err := webhook.Verify(first, d[1], []byte(d[0]), time.Now(), 0); err != nil || strings.Count(d[1], "v1=") != 1 {
		t.Fatalf("delivery with one secret: %v, header %q", err, d[1])
	}

	rot := g.Do(t, "POST", "/v1/admin/webhook_endpoints/"+ep["id"].(string)+"/rotate_secret", op, map[string]any{"overlap_seconds": 3600})
	if rot.Status != 200 || len(rot.JSON(t)["secrets"].([]any)) != 2 {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	second := rot.JSON(t)["secret"].(string)
	pay("HS-WE-000002")
	waitForDelivery(t, "the second delivery", func() bool { return len(all.deliveries()) == 2 })
	d = all.deliveries()[1]
	for _, s := range []string{first, second} {
		if err := webhook.Verify(s, d[1], []byte(d[0]), time.Now(), 0); err != nil {
			t.Fatalf("during the overlap a delivery must verify with each secret: %v (%q)", err, d[1])
		}
	}
	if len(refunds.deliveries()) != 0 {
		t.Fatal("an endpoint wanting refund events only got a payment event")
	}
	test := g.Do(t, "POST", "/v1/admin/webhook_endpoints/"+ep["id"].(string)+"/test", op, nil)
	if test.Status != 200 || test.JSON(t)["delivered"] != true {
		t.Fatalf("test delivery: %d %s", test.Status, test.Body)
	}
	waitForDelivery(t, "the test delivery", func() bool { return len(all.deliveries()) == 3 })
	d = all.deliveries()[2]
	if !strings.Contains(d[0], `"type":"webhook.test"`) || webhook.Verify(second, d[1], []byte(d[0]), time.Now(), 0) != nil {
		t.Fatalf("test delivery received: %v", d)
	}
	off := g.Do(t, "POST", "/v1/admin/webhook_endpoints/"+ep["id"].(string), op, map[string]any{"enabled": false})
	if off.Status != 200 || off.JSON(t)["enabled"] != false {
		t.Fatalf("disable: %d %s", off.Status, off.Body)
	}
	audit := g.Do(t, "GET", "/v1/admin/audit?object_type=webhook_endpoint", op, nil)
	if strings.Contains(string(audit.Body), first) || strings.Contains(string(audit.Body), second) || len(audit.JSON(t)["data"].([]any)) != 4 {
		t.Fatalf("audit of endpoints: %s", audit.Body)
	}
}

// waitForDelivery allows for one failed try: under a loaded machine a
// delivery's first try can miss, and River tries again after about 10 s
// (webhooks.RetryDelay). The signatures are what this test checks, not
// how fast they come.
func waitForDelivery(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
