// Package config reads the gateway's settings from environment variables,
// each of which is also a command-line flag, from one table. Unknown
// CIVICPAY_* variables and malformed values stop start-up with a message that
// names the variable, so a typo never silently falls back to a default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
)

// Config is everything `civicpay serve` needs.
type Config struct {
	Addr        string
	DatabaseURL string
	// MigrateDatabaseURL is the schema owner's URL; the gateway itself
	// runs as a role that may only append to the ledger.
	MigrateDatabaseURL string
	PublicURL          string
	LogLevel           string
	ShutdownTimeout    time.Duration
	DBMaxConns         int
	Migrate            bool
	Workers            bool
	SandboxURL         string
	DemoKey            string
	DemoWebhookSecret  string
	// RequeryEvery and RequeryAfter time the asking about orders whose
	// callbacks have not come (gateway/requery).
	RequeryEvery time.Duration
	RequeryAfter time.Duration
	// HTTP server deadlines (see api.HTTPServer).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MasterKeyFile names the file holding the key that wraps providers'
	// credentials (gateway/credentials); empty: none can be stored or used.
	MasterKeyFile string
	// Provider limits, each a default with per-provider overrides.
	BreakerFailures       breaker.PerProvider[int]
	BreakerOpen           breaker.PerProvider[time.Duration]
	BreakerProbes         breaker.PerProvider[int]
	ProviderTimeout       breaker.PerProvider[time.Duration]
	ProviderMaxConcurrent breaker.PerProvider[int]
	ProviderFees          breaker.PerProvider[banks.Fee]
	// ReceiptKeyFile is the PEM Ed25519 key receipts are signed with.
	ReceiptKeyFile string
}

// Setting is one row of the table: an environment variable and its flag.
type Setting struct {
	Env, Flag, Default, Help string
	set                      func(c *Config, v string) error
}

// Settings is the table, in the order the README lists it.
var Settings = []Setting{
	{"CIVICPAY_ADDR", "addr", "127.0.0.1:8080", "host:port the HTTP server listens on", func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("want host:port")
		}
		c.Addr = v
		return nil
	}},
	{"DATABASE_URL", "database-url", "", "PostgreSQL URL the gateway runs with (a member of civicpay_runtime); empty: the private cluster of .data/ (make run starts it)", func(c *Config, v string) error {
		c.DatabaseURL = v
		return nil
	}},
	{"CIVICPAY_MIGRATE_DATABASE_URL", "migrate-database-url", "", "PostgreSQL URL of the schema's owner, for migrations; empty: DATABASE_URL, or the private cluster's owner", func(c *Config, v string) error {
		c.MigrateDatabaseURL = v
		return nil
	}},
	{"CIVICPAY_PUBLIC_URL", "public-url", "", "URL providers and browsers reach the gateway at (callbacks, widget); default http://<addr>", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an absolute http(s) URL")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"CIVICPAY_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return errors.New("want debug, info, warn or error")
	}},
	{"CIVICPAY_SHUTDOWN_TIMEOUT", "shutdown-timeout", "15s", "how long in-flight requests may finish after SIGINT/SIGTERM", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 15s")
		}
		c.ShutdownTimeout = d
		return nil
	}},
	{"CIVICPAY_READ_HEADER_TIMEOUT", "read-header-timeout", "10s", "time a client has to send its request headers", durationSetting(func(c *Config, d time.Duration) { c.ReadHeaderTimeout = d })},
	{"CIVICPAY_READ_TIMEOUT", "read-timeout", "30s", "time a client has to send its whole request, body included; a body that stops arriving is cut off (408)", durationSetting(func(c *Config, d time.Duration) { c.ReadTimeout = d })},
	{"CIVICPAY_WRITE_TIMEOUT", "write-timeout", "60s", "time from the end of the request headers to the end of the response; status streams extend it write by write", durationSetting(func(c *Config, d time.Duration) { c.WriteTimeout = d })},
	{"CIVICPAY_IDLE_TIMEOUT", "idle-timeout", "120s", "how long a keep-alive connection may wait for its next request", durationSetting(func(c *Config, d time.Duration) { c.IdleTimeout = d })},
	{"CIVICPAY_DB_MAX_CONNS", "db-max-conns", "32", "size of the PostgreSQL connection pool", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 1000 {
			return errors.New("want a whole number from 2 to 1000")
		}
		c.DBMaxConns = n
		return nil
	}},
	{"CIVICPAY_MIGRATE", "migrate", "true", "apply pending migrations at start-up", boolSetting(func(c *Config, b bool) { c.Migrate = b })},
	{"CIVICPAY_WORKERS", "workers", "true", "run background workers (webhook delivery, expiry sweeper) in this process", boolSetting(func(c *Config, b bool) { c.Workers = b })},
	{"CIVICPAY_SANDBOX_URL", "sandbox-url", "", "base URL of cmd/banksim; when set, providers are reached there with the sandbox credentials", func(c *Config, v string) error {
		if v != "" {
			if u, err := url.Parse(v); err != nil || u.Host == "" {
				return errors.New("want an absolute URL")
			}
		}
		c.SandboxURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"CIVICPAY_DEMO_KEY", "demo-key", "", "secret key of the demo portal; when set, / serves the demo portal page (make run sets it)", func(c *Config, v string) error {
		if v != "" && !strings.HasPrefix(v, "sk_test_") {
			return errors.New("the demo portal only runs with a test key (sk_test_…)")
		}
		c.DemoKey = v
		return nil
	}},
	{"CIVICPAY_DEMO_WEBHOOK_SECRET", "demo-webhook-secret", "", "webhook signing secret of the demo portal, to verify what it receives", func(c *Config, v string) error {
		c.DemoWebhookSecret = v
		return nil
	}},
	{"CIVICPAY_REQUERY_EVERY", "requery-every", "1m", "how often overdue orders and bank transfers are asked about (River periodic job)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return errors.New("want a duration of at least 100ms, such as 1m")
		}
		c.RequeryEvery = d
		return nil
	}},
	{"CIVICPAY_REQUERY_AFTER", "requery-after", "2m", "age of an issued order before it is first asked about, and the shortest gap between questions", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return errors.New("want a duration of at least 100ms, such as 2m")
		}
		c.RequeryAfter = d
		return nil
	}},
	{"CIVICPAY_MASTER_KEY_FILE", "master-key-file", "", "file with the 32-byte key (hex or base64, mode 0600) that encrypts providers' credentials; empty: live credentials cannot be stored or used (make run makes .data/master.key)", func(c *Config, v string) error {
		c.MasterKeyFile = v
		return nil
	}},
	{"CIVICPAY_BREAKER_FAILURES", "breaker-failures", "5", "consecutive failed calls that open a provider's circuit breaker; per provider: 5,momo=3", perProvider(breaker.PositiveInt, func(c *Config, p breaker.PerProvider[int]) { c.BreakerFailures = p })},
	{"CIVICPAY_BREAKER_OPEN", "breaker-open", "30s", "how long an open breaker refuses calls before half-open probes; per provider: 30s,zalopay=1m", perProvider(breaker.PositiveDuration, func(c *Config, p breaker.PerProvider[time.Duration]) { c.BreakerOpen = p })},
	{"CIVICPAY_BREAKER_PROBES", "breaker-probes", "2", "calls a half-open breaker lets through, and successes that close it", perProvider(breaker.PositiveInt, func(c *Config, p breaker.PerProvider[int]) { c.BreakerProbes = p })},
	{"CIVICPAY_PROVIDER_TIMEOUT", "provider-timeout", "8s", "deadline of each try of a provider call", perProvider(breaker.PositiveDuration, func(c *Config, p breaker.PerProvider[time.Duration]) { c.ProviderTimeout = p })},
	{"CIVICPAY_PROVIDER_MAX_CONCURRENT", "provider-max-concurrent", "32", "calls in flight per provider; one more fails fast as if the breaker were open", perProvider(breaker.PositiveInt, func(c *Config, p breaker.PerProvider[int]) { c.ProviderMaxConcurrent = p })},
	{"CIVICPAY_PROVIDER_FEES", "provider-fees", "vietqr=0%,momo=1.1%,zalopay=1.3%,vnpay=1.1%+1100", "each provider's fee, percent+fixed đồng, for routing and the ledger", perProvider(banks.ParseFee, func(c *Config, p breaker.PerProvider[banks.Fee]) { c.ProviderFees = p })},
	{"CIVICPAY_RECEIPT_KEY_FILE", "receipt-key-file", "", "PEM Ed25519 private key that signs receipts ('civicpay receipts keygen FILE' makes one; make run uses .data/receipt_key); empty: an ephemeral key, with a warning", func(c *Config, v string) error {
		c.ReceiptKeyFile = v
		return nil
	}},
}

func perProvider[T any](parse func(string) (T, error), set func(*Config, breaker.PerProvider[T])) func(*Config, string) error {
	return func(c *Config, v string) error {
		p, err := breaker.ParsePerProvider(v, parse)
		if err != nil {
			return fmt.Errorf("want a value and/or provider=value pairs: %w", err)
		}
		set(c, p)
		return nil
	}
}

func durationSetting(f func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 30s")
		}
		f(c, d)
		return nil
	}
}

func boolSetting(f func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		f(c, b)
		return nil
	}
}

// Load reads the environment, then the flags in args (flags win).
func Load(args []string, environ []string, stderr io.Writer) (Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if err := unknownVariables(env); err != nil {
		return Config{}, err
	}
	fs := flag.NewFlagSet("civicpay serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := make([]*string, len(Settings))
	for i, s := range Settings {
		def := s.Default
		if v, ok := env[s.Env]; ok {
			def = v
		}
		values[i] = fs.String(s.Flag, def, s.Help+" ("+s.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var c Config
	for i, s := range Settings {
		if err := s.set(&c, *values[i]); err != nil {
			return Config{}, fmt.Errorf("%s (--%s) = %q: %v", s.Env, s.Flag, *values[i], err)
		}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	return c, nil
}

func unknownVariables(env map[string]string) error {
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Env] = true
	}
	var unknown []string
	for k := range env {
		if strings.HasPrefix(k, "CIVICPAY_") && !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("unknown configuration variable %s (known: see 'civicpay serve -h')", strings.Join(unknown, ", "))
}

// Environ is os.Environ, named for tests that pass their own.
func Environ() []string { return os.Environ() }
