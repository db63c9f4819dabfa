package api_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func withKeyring(t *testing.T) gatewaytest.Option {
	kek := make([]byte, 32)
	rand.Read(kek)
	ring, err := credentials.NewKeyring(kek)
	if err != nil {
		t.Fatal(err)
	}
	return func(d *api.Deps) { d.Keyring = ring }
}

// Live credentials are stored encrypted and shown as hints; a live payment
// is refused for an agency that has none.
func TestCredentialsAndLiveGating(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t, withKeyring(t))
	op := bootstrap(t, g)
	momo := map[string]any{"fields": map[string]string{"partner_code": "MOMOLIVE01", "access_key": "F8BBA842ECF85", "secret_key": "K951B6PE1waDMi640xX08PD3vg6EkVlz"}}

	live := g.Do(t, "POST", "/v1/payments", g.Portal.LiveKey, feeBody("HS-LIVE-000001"), "Idempotency-Key", "live-1")
	if live.Status != 409 || live.JSON(t)["code"] != "agency_not_live" {
		t.Fatalf("a live payment before any credentials: %d %s", live.Status, live.Body)
	}
	bad := g.Do(t, "POST", "/v1/admin/agencies/KBNN-HN/credentials/live/vnpay", op, map[string]any{"fields": map[string]string{"tmn_code": "X"}})
	if codes := fieldCodeMap(t, bad); bad.Status != 422 || codes["fields.hash_secret"] != "required" || codes["base_url"] != "required" {
		t.Fatalf("incomplete vnpay: %d %s", bad.Status, bad.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/agencies/KBNN-HN/credentials/prod/paypal", op, momo); res.Status != 422 || len(fieldCodeMap(t, res)) != 2 {
		t.Fatalf("bad mode and provider: %d %s", res.Status, res.Body)
	}
	set := g.Do(t, "POST", "/v1/admin/agencies/KBNN-HN/credentials/live/momo", op, momo)
	if set.Status != 200 || set.JSON(t)["base_url"] != "https://payment.momo.vn" || strings.Contains(string(set.Body), "K951B6PE") {
		t.Fatalf("set: %d %s", set.Status, set.Body)
	}
	if f := set.JSON(t)["fields"].(map[string]any); f["secret_key"] != "…kVlz" {
		t.Fatalf("hints: %v", f)
	}
	list := g.Do(t, "GET", "/v1/admin/agencies/KBNN-HN/credentials", op, nil)
	audit := g.Do(t, "GET", "/v1/admin/audit?action=credentials.set", op, nil)
	for _, body := range [][]byte{list.Body, audit.Body} {
		if strings.Contains(string(body), "K951B6PE1waDMi640xX08PD3vg6E") || strings.Contains(string(body), "F8BBA842E") {
			t.Fatalf("a secret leaked: %s", body)
		}
	}
	if len(audit.JSON(t)["data"].([]any)) != 1 {
		t.Fatalf("audit: %s", audit.Body)
	}
	// The live key now collects for KBNN-HN (the cache was dropped), still not for KBNN-HCM.
	if res := g.Do(t, "POST", "/v1/payments", g.Portal.LiveKey, feeBody("HS-LIVE-000002"), "Idempotency-Key", "live-2"); res.Status != 201 || res.JSON(t)["livemode"] != true {
		t.Fatalf("a live payment with live credentials: %d %s", res.Status, res.Body)
	}
	hcm := feeBody("HS-LIVE-000003")
	hcm["service"] = "HT-TRICHLUC"
	if res := g.Do(t, "POST", "/v1/payments", g.Portal.LiveKey, hcm, "Idempotency-Key", "live-3"); res.Status != 409 || res.JSON(t)["code"] != "agency_not_live" {
		t.Fatalf("a live payment for an agency without credentials: %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, hcm, "Idempotency-Key", "test-3"); res.Status != 201 {
		t.Fatalf("test mode keeps the sandbox: %d %s", res.Status, res.Body)
	}
}

func TestCredentialsNeedAMasterKey(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	op := bootstrap(t, g)
	res := g.Do(t, "POST", "/v1/admin/agencies/KBNN-HN/credentials/test/sepay", op, map[string]any{"fields": map[string]string{"api_key": "sepay-123456"}})
	if res.Status != 503 || res.JSON(t)["code"] != "master_key_missing" {
		t.Fatalf("without a master key: %d %s", res.Status, res.Body)
	}
}
