package routing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/payments"
)

// stub is a provider that only has a name and methods.
type stub struct {
	name    string
	methods []banks.Method
}

func (s stub) Name() string                              { return s.name }
func (s stub) Methods() []banks.Method                   { return s.methods }
func (stub) WriteReply(http.ResponseWriter, banks.Reply) {}
func (stub) Issue(context.Context, banks.Order) (banks.Issued, error) {
	return banks.Issued{}, nil
}
func (stub) Query(context.Context, string) (banks.Status, error) { return banks.Status{}, nil }
func (stub) Refund(context.Context, banks.RefundRequest) (banks.RefundResult, error) {
	return banks.RefundResult{}, nil
}
func (stub) ParseCallback(*http.Request, []byte) (banks.Callback, error) {
	return banks.Callback{}, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func fee(pct string, fixed int64) banks.Fee {
	return banks.Fee{Percent: decimal.RequireFromString(pct), Fixed: decimal.NewFromInt(fixed)}
}

func entry(name string, m banks.Method, f banks.Fee) Entry {
	return Entry{Provider: stub{name, []banks.Method{m}}, Breaker: breaker.New(name, breaker.Settings{Failures: 3, Open: time.Hour, Attempts: 1}, quiet), Fee: f}
}

// drive runs calls through e's breaker: ok successes, then bad failures.
func drive(e Entry, ok, bad int) {
	for range ok {
		_ = e.Breaker.Do(context.Background(), breaker.Call{}, func(context.Context) error { return nil })
	}
	for range bad {
		_ = e.Breaker.Do(context.Background(), breaker.Call{}, func(context.Context) error { return errors.New("down") })
	}
}

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.name())
	}
	return out
}

func TestRank(t *testing.T) {
	t.Parallel()
	amount := decimal.NewFromInt(135000)
	tests := []struct {
		name  string
		setup func(momo, zalo, vnpay Entry)
		want  string
	}{
		// momo 1,350; zalopay 1,620; vnpay 1,485 + 1,100 = 2,585.
		{"cheapest first", func(_, _, _ Entry) {}, "momo zalopay vnpay"},
		{"an open breaker is skipped", func(m, _, _ Entry) { drive(m, 0, 3) }, "zalopay vnpay"},
		{"a failing provider goes after healthy ones", func(m, _, _ Entry) { drive(m, 7, 2); drive(m, 1, 2) }, "zalopay vnpay momo"},
		{"one failure does not demote", func(m, _, _ Entry) { drive(m, 0, 1) }, "momo zalopay vnpay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := entry("momo", banks.MethodMoMo, fee("1.0", 0))
			z := entry("zalopay", banks.MethodZaloPay, fee("1.2", 0))
			v := entry("vnpay", banks.MethodVNPay, fee("1.1", 1100))
			tt.setup(m, z, v)
			got := names(rank([]Entry{v, z, m}, amount))
			if joined := join(got); joined != tt.want {
				t.Fatalf("rank = %s, want %s", joined, tt.want)
			}
		})
	}
}

func TestRankTiesByFeeThenRate(t *testing.T) {
	t.Parallel()
	a := entry("a", banks.MethodMoMo, fee("1", 0))
	b := entry("b", banks.MethodMoMo, fee("1", 0))
	drive(a, 18, 2) // 90 %
	drive(b, 20, 0) // 100 %
	if got := join(names(rank([]Entry{a, b}, decimal.NewFromInt(1000)))); got != "b a" {
		t.Fatalf("rank = %s", got)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestEligible(t *testing.T) {
	t.Parallel()
	bank := Entry{Provider: stub{"vietqr", []banks.Method{banks.MethodBankQR}}, MaxAmount: decimal.NewFromInt(500_000_000)}
	momo := entry("momo", banks.MethodMoMo, fee("1", 0))
	momo.MinAmount, momo.MaxAmount = decimal.NewFromInt(1000), decimal.NewFromInt(50_000_000)
	zalo := entry("zalopay", banks.MethodZaloPay, fee("1", 0))
	r := &Router{Entries: []Entry{bank, momo, zalo}, Allowed: func(agency string) []string {
		if agency == "KBNN-TRANSFER-ONLY" {
			return []string{"vietqr"}
		}
		return nil
	}}
	tests := []struct {
		method banks.Method
		amount int64
		agency string
		want   string
	}{
		{banks.MethodAny, 135000, "KBNN-HN", "vietqr momo zalopay"},
		{banks.MethodAnyWallet, 135000, "KBNN-HN", "momo zalopay"},
		{banks.MethodMoMo, 135000, "KBNN-HN", "momo"},
		{banks.MethodAnyWallet, 60_000_000, "KBNN-HN", "zalopay"}, // above MoMo's limit
		{banks.MethodAny, 600_000_000, "KBNN-HN", "zalopay"},      // above NAPAS 247's too
		{banks.MethodAny, 135000, "KBNN-TRANSFER-ONLY", "vietqr"}, // the agency's constraint
		{banks.MethodMoMo, 135000, "KBNN-TRANSFER-ONLY", ""},      // nothing left
		{banks.MethodVNPay, 135000, "KBNN-HN", ""},                // not configured
	}
	for _, tt := range tests {
		p := payments.Payment{Amount: decimal.NewFromInt(tt.amount)}
		got := join(names(r.eligible(tt.method, p, catalog.Agency{Code: tt.agency})))
		if got != tt.want {
			t.Errorf("%s %d %s = %q, want %q", tt.method, tt.amount, tt.agency, got, tt.want)
		}
	}
	// Sandbox providers never see a live payment.
	live := payments.Payment{Amount: decimal.NewFromInt(135000), Livemode: true}
	if got := r.eligible(banks.MethodAny, live, catalog.Agency{Code: "KBNN-HN"}); len(got) != 0 {
		t.Errorf("a live payment may go to %v", names(got))
	}
}

func TestParseMethod(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"bank_qr", "momo", "zalopay", "vnpay", "any_wallet", "any"} {
		if m, err := ParseMethod(ok); err != nil || string(m) != ok {
			t.Errorf("ParseMethod(%q) = %q, %v", ok, m, err)
		}
	}
	for _, bad := range []string{"", "MOMO", "cash", "any "} {
		if _, err := ParseMethod(bad); !errors.Is(err, ErrUnknownMethod) {
			t.Errorf("ParseMethod(%q) = %v", bad, err)
		}
	}
}

func TestKeyedMutexSerialisesOneKeyOnly(t *testing.T) {
	t.Parallel()
	var k keyedMutex
	unlockA := k.lock("a")
	gotB := make(chan struct{})
	go func() { k.lock("b")(); close(gotB) }()
	select {
	case <-gotB:
	case <-time.After(time.Second):
		t.Fatal("key b waited for key a")
	}
	gotA := make(chan struct{})
	go func() { k.lock("a")(); close(gotA) }()
	select {
	case <-gotA:
		t.Fatal("key a was taken twice")
	case <-time.After(50 * time.Millisecond):
	}
	unlockA()
	<-gotA
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) != 0 {
		t.Fatalf("%d entries left behind", len(k.m))
	}
}
