package gatewaytest

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/providers"
)

// Sandbox is the in-process sandbox providers (banks/sandbox) and the
// gateway's providers wired to them.
type Sandbox struct {
	*sandbox.Server
	URL       string
	Providers *providers.Set
	gateway   atomic.Pointer[string]
}

// SandboxOptions tune the providers for a test.
type SandboxOptions struct {
	// Breaker applies to every provider; zero fields take TestBreaker's.
	Breaker breaker.Settings
	// BreakerFor overrides Breaker for one provider.
	BreakerFor map[string]breaker.Settings
	// Fees prices the providers for routing; missing ones are free.
	Fees map[string]banks.Fee
}

// TestBreaker are limits that keep failure tests fast: short tries, few
// retries, a short backoff. The open interval stays the default unless a
// test sets one.
var TestBreaker = breaker.Settings{Timeout: 2 * time.Second, Attempts: 2, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}

// StartSandbox starts the simulator on a loopback port. Wire it into a
// gateway with WithSandbox and point it at the gateway with Attach, or use
// StartWithSandbox, which does both.
func StartSandbox(t testing.TB, o SandboxOptions) *Sandbox {
	t.Helper()
	sb := &Sandbox{}
	empty := ""
	sb.gateway.Store(&empty)
	sb.Server = sandbox.New(sandbox.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ReportDir: t.TempDir()})
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	sb.URL = url
	sb.Providers = providers.New(providers.Options{
		SandboxURL: url,
		PublicURL:  func() string { return *sb.gateway.Load() },
		Breaker:    func(name string) breaker.Settings { return o.settings(name) },
		Fee:        func(name string) banks.Fee { return o.Fees[name] },
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return sb
}

func (o SandboxOptions) settings(name string) breaker.Settings {
	s, ok := o.BreakerFor[name]
	if !ok {
		s = o.Breaker
	}
	d := TestBreaker
	if s.Timeout == 0 {
		s.Timeout = d.Timeout
	}
	if s.Attempts == 0 {
		s.Attempts = d.Attempts
	}
	if s.Backoff == 0 {
		s.Backoff, s.MaxBackoff = d.Backoff, d.MaxBackoff
	}
	return s
}

// WithSandbox wires the sandbox's providers (router, callbacks, methods)
// into the gateway being started.
func WithSandbox(sb *Sandbox) Option {
	return func(d *api.Deps) { sb.Providers.Adjust(d) }
}

// Attach points the sandbox's callbacks, and the providers' callback
// URLs, at the running gateway g.
func (sb *Sandbox) Attach(g *Gateway) {
	url := g.URL
	sb.gateway.Store(&url)
	sb.SetGateway(url)
}

// StartWithSandbox starts a gateway wired to a fresh in-process sandbox.
func StartWithSandbox(t testing.TB, o SandboxOptions, opts ...Option) (*Gateway, *Sandbox) {
	t.Helper()
	sb := StartSandbox(t, o)
	g := Start(t, append(opts, WithSandbox(sb))...)
	sb.Attach(g)
	return g, sb
}
