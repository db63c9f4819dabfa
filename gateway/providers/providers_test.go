package providers_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/config"
	"github.com/civicpay/civicpay/gateway/providers"
)

func load(t *testing.T, env ...string) config.Config {
	t.Helper()
	c, err := config.Load(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFromConfig(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name    string
		env     []string
		methods string
	}{
		{"no sandbox: bank transfer only", nil, "[bank_qr]"},
		{"sandbox: every provider", []string{"CIVICPAY_SANDBOX_URL=http://127.0.0.1:8090"}, "[bank_qr momo zalopay vnpay]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set := providers.FromConfig(load(t, tt.env...), nil, quiet)
			var d api.Deps
			set.Adjust(&d)
			if got := fmtList(d.Methods()); got != tt.methods || d.Router != set.Router || len(d.Providers) != len(set.Router.Entries) {
				t.Fatalf("methods %s, deps %+v", got, d)
			}
			if _, ok := set.Provider("vietqr"); !ok {
				t.Fatal("no vietqr provider")
			}
		})
	}
}

func TestFromConfigPerProviderSettings(t *testing.T) {
	t.Parallel()
	c := load(t, "CIVICPAY_SANDBOX_URL=http://127.0.0.1:8090", "CIVICPAY_BREAKER_FAILURES=5,momo=3",
		"CIVICPAY_BREAKER_OPEN=30s,zalopay=1m", "CIVICPAY_PROVIDER_TIMEOUT=4s", "CIVICPAY_PROVIDER_MAX_CONCURRENT=16,vnpay=4",
		"CIVICPAY_PROVIDER_FEES=momo=1.5%+1000")
	set := providers.FromConfig(c, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	momo, zalo, vnpay := set.Breakers["momo"].Settings(), set.Breakers["zalopay"].Settings(), set.Breakers["vnpay"].Settings()
	if momo.Failures != 3 || zalo.Failures != 5 || zalo.Open != time.Minute || momo.Open != 30*time.Second ||
		momo.Timeout != 4*time.Second || vnpay.MaxConcurrent != 4 || momo.MaxConcurrent != 16 || momo.Probes != 2 {
		t.Fatalf("momo %+v zalopay %+v vnpay %+v", momo, zalo, vnpay)
	}
	if got := set.Fee("momo").For(decimal.NewFromInt(135000)); !got.Equal(decimal.NewFromInt(3025)) {
		t.Fatalf("momo fee on 135,000 = %s, want 2,025 + 1,000", got)
	}
	if !set.Fee("zalopay").For(decimal.NewFromInt(135000)).IsZero() {
		t.Fatal("a provider without a configured fee must be free, not guessed")
	}
}

func TestConfigRefusesBadProviderSettings(t *testing.T) {
	t.Parallel()
	for _, env := range []string{
		"CIVICPAY_BREAKER_FAILURES=0", "CIVICPAY_BREAKER_OPEN=momo=forever", "CIVICPAY_PROVIDER_FEES=momo=-1%",
		"CIVICPAY_PROVIDER_MAX_CONCURRENT=momo=2,momo=3", "CIVICPAY_BREAKER_PROBES=Momo=2",
	} {
		if _, err := config.Load(nil, []string{env}, io.Discard); err == nil {
			t.Errorf("%s accepted", env)
		}
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
