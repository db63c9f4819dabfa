package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/webhooks"
)

func TestForbidden(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "100.64.0.1": true, "100.127.255.254": true, "0.0.0.0": true, "::": true,
		"fd00:ec2::254": true, "::ffff:127.0.0.1": true, "64:ff9b::a00:1": true, "224.0.0.1": true,
		"8.8.8.8": false, "1.1.1.1": false, "100.128.0.1": false, "2001:4860:4860::8888": false, "172.32.0.1": false,
	} {
		if got := webhooks.Forbidden(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Forbidden(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url  string
		live bool
		ok   bool
	}{
		{"http://localhost:8080/hook", false, true},
		{"http://127.0.0.1/hook", false, true},
		{"ftp://example.org/", false, false},
		{"https://user:pw@example.org/", false, false},
		{"http://8.8.8.8/hook", true, false},
		{"https://8.8.8.8/hook", true, true},
		{"https://localhost/hook", true, false},
		{"https://a.localhost/hook", true, false},
		{"https://127.0.0.1/hook", true, false},
		{"https://[::ffff:10.0.0.1]/hook", true, false},
		{"https://169.254.169.254/latest/meta-data", true, false},
	} {
		err := webhooks.CheckURL(context.Background(), c.url, c.live, nil)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%s, live=%v) = %v, want ok=%v", c.url, c.live, err, c.ok)
		}
	}
}

// The live client checks the address it connects to, not the URL, so a
// name that resolves to loopback at delivery time is refused then; it
// follows no redirect and sends nothing but https.
func TestSafeClientRefusesAtConnect(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c := webhooks.SafeClient(5 * time.Second)
	c.Transport.(interface{ Unwrap() *http.Transport }).Unwrap().TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	for _, u := range []string{srv.URL, "https://localhost:" + srv.URL[len("https://127.0.0.1:"):]} {
		_, err := c.Post(u, "application/json", nil)
		if !errors.Is(err, webhooks.ErrForbiddenAddress) {
			t.Errorf("POST %s: %v, want ErrForbiddenAddress", u, err)
		}
	}
	if _, err := c.Post("http://8.8.8.8/", "application/json", nil); err == nil {
		t.Error("plain http in live mode was sent")
	}
	if hits != 0 {
		t.Fatalf("the loopback server was reached %d times", hits)
	}
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	}))
	defer redirect.Close()
	res, err := webhooks.TestClient(5*time.Second).Post(redirect.URL, "application/json", nil)
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("a redirect must be returned, not followed: %v %v", res, err)
	}
	res.Body.Close()
}
