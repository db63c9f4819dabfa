package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/internal/pgtest"
)

// The management commands end to end against a real database: JSON out,
// exit codes, and the same audit records the API writes. Not parallel:
// the commands find the database through DATABASE_URL, as in production.
func TestManagementCommands(t *testing.T) {
	url := pgtest.NewURL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = nil })
	cli := func(args ...string) (map[string]any, int) {
		t.Helper()
		out.Reset()
		err := run(ctx, args)
		code := 0
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			code = exitFailure
		}
		var m map[string]any
		if code == 0 && strings.Contains(strings.Join(args, " "), "--json") {
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("%v: output is not JSON: %v: %s", args, err, out.Bytes())
			}
		}
		return m, code
	}
	boot, code := cli("admin", "bootstrap", "--name", "first", "--json")
	if code != 0 || !strings.HasPrefix(boot["secret"].(string), "ak_") {
		t.Fatalf("bootstrap: %d %v", code, boot)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"admin", "bootstrap"}, exitRefused},
		{[]string{"agencies"}, exitUsage},
		{[]string{"agencies", "create", "--code", "kb x", "--bank-bin", "000000"}, exitRefused},
		{[]string{"agencies", "show", "NOPE-00"}, exitNotFound},
		{[]string{"keys", "roll", "key_0000000000000000"}, exitNotFound},
		{[]string{"portals", "create", "--bogus"}, exitUsage},
	} {
		if _, code := cli(c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
	agency, code := cli("agencies", "create", "--code", "KBNN-CLI", "--name", "Kho bạc CLI", "--bank-bin", "970418",
		"--account-number", "12010000123", "--account-name", "KHO BAC CLI", "--json")
	if code != 0 || agency["bank_name"] != "BIDV" {
		t.Fatalf("agency: %d %v", code, agency)
	}
	portal, code := cli("portals", "create", "--name", "CLI portal", "--agencies", "KBNN-CLI", "--json")
	if code != 0 || !strings.HasPrefix(portal["live_key"].(string), "sk_live_") {
		t.Fatalf("portal: %d %v", code, portal)
	}
	if upd, code := cli("portals", "update", portal["id"].(string), "--rate-per-minute", "60", "--json"); code != 0 || upd["rate_per_minute"] != float64(60) {
		t.Fatalf("portals update: %d %s", code, out.Bytes())
	}
	shown, code := cli("portals", "show", portal["id"].(string), "--json")
	keys, _ := shown["keys"].([]any)
	if code != 0 || len(keys) != 2 || strings.Contains(out.String(), portal["live_key"].(string)) {
		t.Fatalf("show: %d %s", code, out.Bytes())
	}
	keyID := keys[0].(map[string]any)["id"].(string)
	rolled, code := cli("keys", "roll", keyID, "--grace", "1h", "--json")
	if code != 0 || rolled["old"].(map[string]any)["expires_at"] == nil {
		t.Fatalf("roll: %d %v", code, rolled)
	}
	if _, code := cli("keys", "roll", keyID, "--grace", "200h"); code != exitRefused {
		t.Fatalf("a grace over 7 days: exit %d", code)
	}
	hook, code := cli("webhooks", "create", portal["id"].(string), "--url", "https://127.0.0.1/hook", "--live")
	if code != exitRefused {
		t.Fatalf("a live endpoint on loopback: exit %d %v", code, hook)
	}
	hook, code = cli("webhooks", "create", portal["id"].(string), "--url", "http://localhost:1/hook", "--events", "payment.succeeded", "--json")
	if code != 0 || !strings.HasPrefix(hook["secret"].(string), "whsec_") {
		t.Fatalf("webhooks create: %d %s", code, out.Bytes())
	}
	if res, code := cli("webhooks", "test", hook["id"].(string), "--json"); code != 0 || res["delivered"] != false {
		t.Fatalf("a test delivery to a closed port: %d %v", code, res)
	}
	if rot, code := cli("webhooks", "rotate", hook["id"].(string), "--json"); code != 0 || len(rot["secrets"].([]any)) != 2 {
		t.Fatalf("webhooks rotate: %d %s", code, out.Bytes())
	}
	dir := t.TempDir()
	oldKey, newKey := dir+"/old.key", dir+"/new.key"
	for _, f := range []string{oldKey, newKey} {
		if _, code := cli("credentials", "keygen", f); code != 0 {
			t.Fatalf("keygen %s: exit %d", f, code)
		}
	}
	if _, code := cli("credentials", "set", "KBNN-CLI", "live", "zalopay", "--field", "app_id=2553", "--master-key-file", oldKey); code != exitRefused {
		t.Fatalf("incomplete zalopay: exit %d", code)
	}
	set, code := cli("credentials", "set", "KBNN-CLI", "live", "zalopay", "--field", "app_id=2553", "--field", "key1=PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL",
		"--field", "key2=kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz", "--master-key-file", oldKey, "--json")
	if code != 0 || set["base_url"] != "https://openapi.zalopay.vn" || strings.Contains(out.String(), "PcY4iZIK") {
		t.Fatalf("set: %d %s", code, out.Bytes())
	}
	rot, code := cli("credentials", "rotate-master", "--master-key-file", oldKey, "--new-key-file", newKey, "--json")
	if code != 0 || rot["records"] != float64(1) {
		t.Fatalf("rotate-master: %d %s", code, out.Bytes())
	}
	pool, err := openPool(ctx, url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var actions string
	if err := pool.QueryRow(ctx, `SELECT string_agg(action, ' ' ORDER BY id) FROM audit_log WHERE actor LIKE 'cli:%'`).Scan(&actions); err != nil {
		t.Fatal(err)
	}
	if actions != "admin_key.create agency.create portal.create portal.update api_key.roll api_key.create webhook_endpoint.create webhook_endpoint.rotate_secret credentials.set credentials.rotate_master" {
		t.Fatalf("the commands' audit records: %q", actions)
	}
}
