package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// bootstrap makes the first operator key, as `civicpay admin bootstrap` does.
func bootstrap(t *testing.T, g *gatewaytest.Gateway) string {
	t.Helper()
	k, err := admin.Bootstrap(context.Background(), g.Pool, "test operator")
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

func fieldCodeMap(t *testing.T, res gatewaytest.Response) map[string]string {
	t.Helper()
	out := map[string]string{}
	errs, _ := res.JSON(t)["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

func TestAdminAuthenticationAndRoles(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	op := bootstrap(t, g)
	for _, c := range []struct {
		name, key string
		status    int
	}{
		{"no key", "", 401},
		{"a portal key", g.Portal.TestKey, 401},
		{"an unknown admin key", "ak_" + strings.Repeat("x", 40), 401},
		{"the operator", op, 200},
	} {
		if res := g.Do(t, "GET", "/v1/admin/portals", c.key, nil); res.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.Status, res.Body, c.status)
		}
	}
	staff := g.Do(t, "POST", "/v1/admin/admin_keys", op, map[string]any{"name": "KBNN Hà Nội", "role": "agency_staff", "agencies": []string{"KBNN-HN"}})
	if staff.Status != 201 {
		t.Fatalf("create staff key: %d %s", staff.Status, staff.Body)
	}
	staffKey := staff.JSON(t)["secret"].(string)
	support := g.Do(t, "POST", "/v1/admin/admin_keys", op, map[string]any{"name": "helpdesk", "role": "support"}).JSON(t)["secret"].(string)
	for _, c := range []struct {
		name, key, method, path string
		body                    any
		status                  int
	}{
		{"staff changes its agency", staffKey, "POST", "/v1/admin/agencies/KBNN-HN", map[string]any{"name_en": "State Treasury of Hà Nội"}, 200},
		{"staff cannot change another agency", staffKey, "POST", "/v1/admin/agencies/KBNN-HCM", map[string]any{"name_en": "x"}, 403},
		{"staff cannot read portals", staffKey, "GET", "/v1/admin/portals", nil, 403},
		{"staff cannot mint keys", staffKey, "POST", "/v1/admin/admin_keys", map[string]any{"name": "me", "role": "operator"}, 403},
		{"support reads portals", support, "GET", "/v1/admin/portals", nil, 200},
		{"support cannot create a portal", support, "POST", "/v1/admin/portals", map[string]any{"name": "x", "agencies": []string{"KBNN-HN"}}, 403},
		{"support cannot change an agency", support, "POST", "/v1/admin/agencies/KBNN-HN", map[string]any{"active": false}, 403},
	} {
		if res := g.Do(t, c.method, c.path, c.key, c.body); res.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.Status, res.Body, c.status)
		}
	}
	list := g.Do(t, "GET", "/v1/admin/agencies", staffKey, nil).JSON(t)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["code"] != "KBNN-HN" || list[0].(map[string]any)["name_en"] != "State Treasury of Hà Nội" {
		t.Fatalf("staff sees %v, want its one agency as changed", list)
	}
	audit := g.Do(t, "GET", "/v1/admin/audit?agency=KBNN-HN", staffKey, nil)
	entries := audit.JSON(t)["data"].([]any)
	if audit.Status != 200 || len(entries) != 1 || entries[0].(map[string]any)["actor"] != "KBNN Hà Nội" || entries[0].(map[string]any)["action"] != "agency.update" {
		t.Fatalf("staff's audit = %d %s", audit.Status, audit.Body)
	}
}

func TestAdminAgencyValidation(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	op := bootstrap(t, g)
	res := g.Do(t, "POST", "/v1/admin/agencies", op, map[string]any{
		"code": "kbnn x", "bank_bin": "123456", "account_number": "0011-22", "account_name": "Kho bạc Nhà nước", "kbnn_unit_code": "0011",
	})
	got := fieldCodeMap(t, res)
	want := map[string]string{"code": "invalid_code", "name": "required", "bank_bin": "unknown_bank", "account_number": "invalid_account_number",
		"account_name": "invalid_account_name", "budget_chapter": "treasury_pair"}
	if res.Status != 422 || len(got) != len(want) {
		t.Fatalf("bad agency: %d %s, want every field error at once", res.Status, res.Body)
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: %q, want %q", f, got[f], code)
		}
	}
	good := map[string]any{"code": "KBNN-TEST", "name": "Kho bạc Nhà nước thử nghiệm", "name_en": "Test treasury", "bank_bin": "970415",
		"account_number": "711100000123", "account_name": "KHO BAC NHA NUOC THU NGHIEM", "kbnn_unit_code": "0011", "budget_chapter": "757"}
	created := g.Do(t, "POST", "/v1/admin/agencies", op, good)
	if created.Status != 201 || created.JSON(t)["bank_name"] != "VietinBank" || created.JSON(t)["active"] != true {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/agencies", op, good); res.Status != 409 || res.JSON(t)["code"] != "agency_exists" {
		t.Fatalf("duplicate: %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/agencies/KBNN-TEST", op, map[string]any{"code": "KBNN-OTHER"}); res.Status != 422 || fieldCodeMap(t, res)["code"] != "immutable" {
		t.Fatalf("code change: %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "GET", "/v1/admin/agencies/NOPE-00", op, nil); res.Status != 404 || res.JSON(t)["code"] != "agency_not_found" {
		t.Fatalf("unknown agency: %d %s", res.Status, res.Body)
	}
	// Switched off, the agency leaves the public list and portals cannot collect for it.
	if res := g.Do(t, "POST", "/v1/admin/agencies/KBNN-HN", op, map[string]any{"active": false}); res.Status != 200 || res.JSON(t)["active"] != false {
		t.Fatalf("deactivate: %d %s", res.Status, res.Body)
	}
	for _, a := range g.Do(t, "GET", "/v1/agencies", "", nil).JSON(t)["data"].([]any) {
		if a.(map[string]any)["code"] == "KBNN-HN" {
			t.Fatal("an inactive agency is listed publicly")
		}
	}
	pay := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-ADMIN1"), "Idempotency-Key", "adm-1")
	if pay.Status != 403 || pay.JSON(t)["code"] != "agency_not_allowed" {
		t.Fatalf("payment for an inactive agency: %d %s", pay.Status, pay.Body)
	}
}

func TestAdminPortalKeysRollAndRevoke(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	op := bootstrap(t, g)
	res := g.Do(t, "POST", "/v1/admin/portals", op, map[string]any{"name": "Cổng DVC tỉnh thử", "agencies": []string{"KBNN-HN"}, "rate_per_minute": 600})
	if res.Status != 201 {
		t.Fatalf("create portal: %d %s", res.Status, res.Body)
	}
	created := res.JSON(t)
	portal, oldKey, liveKey := created["id"].(string), created["test_key"].(string), created["live_key"].(string)
	works := func(key string) int { return g.Do(t, "GET", "/v1/payments", key, nil).Status }
	if works(oldKey) != 200 || works(liveKey) != 200 {
		t.Fatal("the new portal's keys do not work")
	}
	hcm := feeBody("HS-ADM-HCM-1")
	hcm["service"] = "HT-TRICHLUC" // KBNN-HCM's
	if res := g.Do(t, "POST", "/v1/payments", oldKey, hcm, "Idempotency-Key", "hcm-1"); res.Status != 403 {
		t.Fatalf("a payment for an agency not allowed yet: %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/portals/"+portal, op, map[string]any{"rate_per_minute": 0, "agencies": []string{}}); res.Status != 422 || len(fieldCodeMap(t, res)) != 2 {
		t.Fatalf("bad portal change: %d %s", res.Status, res.Body)
	}
	upd := g.Do(t, "POST", "/v1/admin/portals/"+portal, op, map[string]any{"agencies": []string{"KBNN-HN", "KBNN-HCM"}})
	if upd.Status != 200 || len(upd.JSON(t)["agencies"].([]any)) != 2 {
		t.Fatalf("portal change: %d %s", upd.Status, upd.Body)
	}
	if res := g.Do(t, "POST", "/v1/payments", oldKey, hcm, "Idempotency-Key", "hcm-2"); res.Status != 201 {
		t.Fatalf("a payment for a newly allowed agency: %d %s", res.Status, res.Body)
	}
	view := g.Do(t, "GET", "/v1/admin/portals/"+portal, op, nil)
	keys := view.JSON(t)["keys"].([]any)
	var testKeyID, testHint string
	for _, k := range keys {
		if k.(map[string]any)["livemode"] == false {
			testKeyID, testHint = k.(map[string]any)["id"].(string), k.(map[string]any)["hint"].(string)
		}
	}
	if len(keys) != 2 || strings.Contains(string(view.Body), oldKey) || !strings.HasSuffix(testHint, oldKey[len(oldKey)-4:]) {
		t.Fatalf("portal view must show hints only: %s", view.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/keys/"+testKeyID+"/roll", op, map[string]any{"grace_period_seconds": 8 * 24 * 3600}); res.Status != 422 {
		t.Fatalf("a grace over 7 days: %d %s", res.Status, res.Body)
	}
	roll := g.Do(t, "POST", "/v1/admin/keys/"+testKeyID+"/roll", op, map[string]any{"grace_period_seconds": 2})
	if roll.Status != 200 {
		t.Fatalf("roll: %d %s", roll.Status, roll.Body)
	}
	newKey := roll.JSON(t)["new"].(map[string]any)["secret"].(string)
	if works(oldKey) != 200 || works(newKey) != 200 {
		t.Fatal("during the grace period both keys must work")
	}
	if res := g.Do(t, "POST", "/v1/admin/keys/"+testKeyID+"/roll", op, nil); res.Status != 409 || res.JSON(t)["code"] != "api_key_inactive" {
		t.Fatalf("rolling a rolled key: %d %s", res.Status, res.Body)
	}
	time.Sleep(2500 * time.Millisecond)
	if works(oldKey) != 401 || works(newKey) != 200 {
		t.Fatal("after the grace period the old key must fail and the new one work")
	}
	past := g.Do(t, "POST", "/v1/admin/portals/"+portal+"/keys", op, map[string]any{"expires_at": "2020-01-01T00:00:00Z"})
	if fieldCodeMap(t, past)["expires_at"] != "in_the_past" {
		t.Fatalf("a key expiring in the past: %d %s", past.Status, past.Body)
	}
	short := g.Do(t, "POST", "/v1/admin/portals/"+portal+"/keys", op, map[string]any{"expires_at": time.Now().Add(time.Second).Format(time.RFC3339Nano)})
	shortKey := short.JSON(t)["secret"].(string)
	if short.Status != 201 || works(shortKey) != 200 {
		t.Fatalf("an expiring key: %d %s", short.Status, short.Body)
	}
	time.Sleep(1200 * time.Millisecond)
	if works(shortKey) != 401 {
		t.Fatal("a key past its expiry still works")
	}
	newID := roll.JSON(t)["new"].(map[string]any)["id"].(string)
	if res := g.Do(t, "POST", "/v1/admin/keys/"+newID+"/revoke", op, nil); res.Status != 200 || works(newKey) != 401 {
		t.Fatalf("a revoked key must fail at once: %d %s", res.Status, res.Body)
	}
	if res := g.Do(t, "POST", "/v1/admin/portals/"+portal+"/deactivate", op, nil); res.Status != 200 || works(liveKey) != 401 {
		t.Fatalf("a deactivated portal's keys must fail at once: %d %s", res.Status, res.Body)
	}
	audit := g.Do(t, "GET", "/v1/admin/audit?limit=100", op, nil)
	for _, secret := range []string{oldKey, newKey, liveKey, created["webhook_secret"].(string), op} {
		if strings.Contains(string(audit.Body), secret) || strings.Contains(string(audit.Body), secret[8:len(secret)-4]) {
			t.Fatalf("a secret reached the audit log: %s", audit.Body)
		}
	}
	var actions []string
	for _, e := range audit.JSON(t)["data"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	want := "portal.deactivate api_key.revoke api_key.create api_key.create api_key.roll portal.update portal.create admin_key.create"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit actions %v, want %s", actions, want)
	}
	if res := g.Do(t, "GET", "/v1/admin/audit?bogus=1&limit=0", op, nil); res.Status != 422 || len(fieldCodeMap(t, res)) != 2 {
		t.Fatalf("bad audit filters: %d %s", res.Status, res.Body)
	}
}
