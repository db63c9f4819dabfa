// Package providers builds the gateway's configured providers: one adapter
// per provider with its own breaker and HTTP client, the router over them,
// and the callback table. With a sandbox URL every provider talks to
// cmd/banksim with the sandbox credentials; without one only the bank
// transfer (vietqr) is offered, since no live wallet credentials are
// configurable yet.
package providers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/banktransfer"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/momo"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vnpay"
	"github.com/civicpay/civicpay/banks/zalopay"
	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/config"
	"github.com/civicpay/civicpay/gateway/routing"
)

// Options are what building needs.
type Options struct {
	// SandboxURL is the base URL of banks/sandbox; empty configures the
	// bank transfer alone.
	SandboxURL string
	// PublicURL is where providers call the gateway back; a func because
	// tests learn it only after the server has started.
	PublicURL func() string
	// Breaker gives each provider's limits.
	Breaker func(name string) breaker.Settings
	// Fee gives each provider's price.
	Fee func(name string) banks.Fee
	// Allowed restricts the providers of an agency (nil: all).
	Allowed func(agency string) []string
	Pool    *pgxpool.Pool // may be left nil and set by Adjust
	Log     *slog.Logger
}

// Set is the built providers.
type Set struct {
	Router    *routing.Router
	Providers map[string]banks.Provider
	Breakers  map[string]*breaker.Breaker
	fee       func(string) banks.Fee
}

// Limits of the providers that publish them (spec §1.8, §2.2, §3.2).
var (
	vietqrMax = decimal.NewFromInt(500_000_000)    // NAPAS 247 per transfer at launch
	vnpayMax  = decimal.NewFromInt(9_999_999_999)  // 12 digits of vnp_Amount ×100
	momoMin   = decimal.NewFromInt(momo.MinAmount) // captureWallet
	momoMax   = decimal.NewFromInt(momo.MaxAmount)
)

// Order lifetimes: how long an issued order stays payable at the provider,
// so a repeated QR request knows when to make a new one. MoMo does not
// document its payUrl lifetime [UNVERIFIED]: 90 minutes is assumed.
// ZaloPay keeps our expire_duration_seconds (the payment's own expiry).
const (
	momoTTL  = 90 * time.Minute
	vnpayTTL = vnpay.DefaultExpiry
)

// New builds the providers.
func New(o Options) *Set {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Fee == nil {
		o.Fee = func(string) banks.Fee { return banks.Fee{} }
	}
	s := &Set{Providers: map[string]banks.Provider{}, Breakers: map[string]*breaker.Breaker{}, fee: o.Fee}
	s.Router = &routing.Router{Pool: o.Pool, CallbackBase: o.PublicURL, Allowed: o.Allowed, Log: o.Log}
	bank := &banktransfer.Adapter{}
	if o.SandboxURL != "" {
		bank.CassoKey, bank.SePayKey = sandbox.CassoChecksumKey, sandbox.SePayAPIKey
		client := &http.Client{Timeout: 10 * time.Second}
		bank.Feeds = []bankfeed.Lister{
			&bankfeed.CassoAPI{BaseURL: o.SandboxURL + sandbox.CassoAPIPath, APIKey: sandbox.CassoAPIKey, Client: client},
			&bankfeed.SePayAPI{BaseURL: o.SandboxURL + sandbox.SePayAPIPath, Token: sandbox.SePayAPIToken, Client: client},
		}
	}
	s.add(routing.Entry{Provider: bank, Fee: o.Fee(banktransfer.Name), MaxAmount: vietqrMax}, nil)
	if o.SandboxURL != "" {
		s.addMoMo(o)
		s.addZaloPay(o)
		s.addVNPay(o)
	}
	return s
}

// created finds an order's issue time for the adapters whose queries
// must name it.
func (s *Set) created(ctx context.Context, orderID string) (time.Time, error) {
	return routing.OrderCreatedAt(ctx, s.Router.Pool, orderID)
}

func (s *Set) addMoMo(o Options) {
	b := s.breaker(o, momo.Name)
	a := &momo.Adapter{Endpoint: o.SandboxURL + sandbox.MoMoPath, PartnerCode: sandbox.MoMoPartnerCode,
		AccessKey: sandbox.MoMoAccessKey, SecretKey: sandbox.MoMoSecretKey, Breaker: b, Client: breaker.NewClient(b.Settings())}
	s.add(routing.Entry{Provider: a, Breaker: b, Fee: o.Fee(momo.Name), OrderTTL: momoTTL, MinAmount: momoMin, MaxAmount: momoMax}, a.Probe)
}

func (s *Set) addZaloPay(o Options) {
	b := s.breaker(o, zalopay.Name)
	a := &zalopay.Adapter{Endpoint: o.SandboxURL + sandbox.ZaloPayPath, AppID: sandbox.ZaloPayAppID,
		Key1: sandbox.ZaloPayKey1, Key2: sandbox.ZaloPayKey2, Breaker: b, Client: breaker.NewClient(b.Settings()), CreatedAt: s.created}
	s.add(routing.Entry{Provider: a, Breaker: b, Fee: o.Fee(zalopay.Name)}, a.Probe)
}

func (s *Set) addVNPay(o Options) {
	b := s.breaker(o, vnpay.Name)
	a := &vnpay.Adapter{PayEndpoint: o.SandboxURL + sandbox.VNPayPayPath, APIEndpoint: o.SandboxURL + sandbox.VNPayAPIPath,
		TmnCode: sandbox.VNPayTmnCode, HashSecret: sandbox.VNPayHashSecret, Breaker: b, Client: breaker.NewClient(b.Settings()), CreatedAt: s.created}
	s.add(routing.Entry{Provider: a, Breaker: b, Fee: o.Fee(vnpay.Name), OrderTTL: vnpayTTL, MaxAmount: vnpayMax}, a.Probe)
}

func (s *Set) breaker(o Options, name string) *breaker.Breaker {
	var st breaker.Settings
	if o.Breaker != nil {
		st = o.Breaker(name)
	}
	b := breaker.New(name, st, o.Log)
	s.Breakers[name] = b
	return b
}

func (s *Set) add(e routing.Entry, probe func(context.Context) error) {
	if e.Breaker != nil && probe != nil {
		e.Breaker.SetProbe(probe)
	}
	s.Router.Entries = append(s.Router.Entries, e)
	s.Providers[e.Provider.Name()] = e.Provider
}

// FromConfig builds the providers `civicpay serve` runs with.
func FromConfig(c config.Config, pool *pgxpool.Pool, log *slog.Logger) *Set {
	public := c.PublicURL
	return New(Options{
		SandboxURL: c.SandboxURL,
		PublicURL:  func() string { return public },
		Breaker: func(name string) breaker.Settings {
			return breaker.Settings{
				Failures: c.BreakerFailures.For(name), Open: c.BreakerOpen.For(name), Probes: c.BreakerProbes.For(name),
				Timeout: c.ProviderTimeout.For(name), MaxConcurrent: c.ProviderMaxConcurrent.For(name),
			}
		},
		Fee:  c.ProviderFees.For,
		Pool: pool,
		Log:  log,
	})
}

// Adjust wires the providers into the HTTP edge (app.Config.Adjust).
func (s *Set) Adjust(d *api.Deps) {
	if s.Router.Pool == nil {
		s.Router.Pool = d.Pool
	}
	d.Router = s.Router
	d.Providers = s.Providers
	d.Methods = s.Router.Methods
}

// Provider finds a provider by name (app.Config.Provider, for refunds).
func (s *Set) Provider(name string) (banks.Provider, bool) {
	p, ok := s.Providers[name]
	return p, ok
}

// Fee is a provider's price (app.Config.Fees, for the ledger).
func (s *Set) Fee(name string) banks.Fee { return s.fee(name) }
