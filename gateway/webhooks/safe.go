package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxResponse is how much of a portal's answer is read: only its status
// matters, and a hostile endpoint must not make the gateway read a stream.
const MaxResponse = 4 << 10

// ErrForbiddenAddress is a webhook URL whose host resolves to an address
// the gateway must not reach on a portal's behalf.
var ErrForbiddenAddress = errors.New("webhook address is loopback, private, link-local, CGNAT or cloud metadata")

var forbidden = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 of any IPv4, private ones included
}

// Forbidden says whether the gateway must refuse to connect to ip:
// loopback, RFC 1918 and ULA private, link-local (169.254.169.254, the
// cloud metadata service, is one), CGNAT, multicast and unspecified.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range forbidden {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guard runs after name resolution, on the address actually dialled, so a
// name that resolves to a public address when the endpoint is registered
// and to 127.0.0.1 later (DNS rebinding) is refused at delivery time.
func guard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhooks: dial %s: %w", address, ErrForbiddenAddress)
	}
	if Forbidden(ap.Addr()) {
		return fmt.Errorf("webhooks: dial %s: %w", ap.Addr(), ErrForbiddenAddress)
	}
	return nil
}

// SafeClient is the client live-mode deliveries use: every connection is
// checked by guard, redirects are not followed (a 3xx is a failed
// delivery), no proxy from the environment (it would dial for us,
// unchecked), and only https.
func SafeClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: guard}
	t := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: httpsOnly{t},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type httpsOnly struct{ *http.Transport }

// Unwrap gives tests the transport, to trust their own certificate.
func (h httpsOnly) Unwrap() *http.Transport { return h.Transport }

func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, fmt.Errorf("webhooks: live deliveries go to https URLs only, not %s", r.URL.Scheme)
	}
	return h.Transport.RoundTrip(r)
}

// TestClient is the test-mode client: http and localhost allowed for
// development, redirects still not followed.
func TestClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// CheckURL refuses an endpoint URL at registration: in live mode it must be
// https and its host must not be (or resolve now to) a forbidden address;
// the dial-time guard checks again on every delivery. In test mode any
// http(s) URL is accepted, localhost included.
func CheckURL(ctx context.Context, raw string, live bool, resolver *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return errors.New("an absolute http(s) URL without credentials")
	}
	if !live {
		return nil
	}
	if u.Scheme != "https" {
		return errors.New("live-mode webhooks must use https")
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return ErrForbiddenAddress
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if Forbidden(ip) {
			return ErrForbiddenAddress
		}
		return nil
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil // unresolvable now; the dial-time guard decides later
	}
	for _, a := range addrs {
		if Forbidden(a) {
			return ErrForbiddenAddress
		}
	}
	return nil
}
