package routing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/gateway/routing"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// fake is a provider whose Issue the test controls.
type fake struct {
	name  string
	calls atomic.Int32
	issue func(ctx context.Context, o banks.Order) (banks.Issued, error)
}

func (f *fake) Name() string            { return f.name }
func (f *fake) Methods() []banks.Method { return []banks.Method{banks.Method(f.name)} }
func (f *fake) Issue(ctx context.Context, o banks.Order) (banks.Issued, error) {
	f.calls.Add(1)
	return f.issue(ctx, o)
}
func (f *fake) Query(context.Context, string) (banks.Status, error) {
	return banks.Status{}, banks.ErrUnsupported
}
func (f *fake) Refund(context.Context, banks.RefundRequest) (banks.RefundResult, error) {
	return banks.RefundResult{}, banks.ErrUnsupported
}
func (f *fake) ParseCallback(*http.Request, []byte) (banks.Callback, error) {
	return banks.Callback{}, banks.ErrUnsupported
}
func (f *fake) WriteReply(http.ResponseWriter, banks.Reply) {}

func ok(name string) func(context.Context, banks.Order) (banks.Issued, error) {
	return func(_ context.Context, o banks.Order) (banks.Issued, error) {
		return banks.Issued{QRPayload: name + "://" + o.OrderID, PayURL: "https://" + name + ".example/" + o.OrderID}, nil
	}
}

func payment(t *testing.T, g *gatewaytest.Gateway, ref string) string {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref, "payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}, "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	return res.JSON(t)["id"].(string)
}

func fee(pct string) banks.Fee {
	return banks.Fee{Percent: decimal.RequireFromString(pct), Fixed: decimal.Zero}
}

// TestAttemptIsRecordedBeforeTheCall: the provider, while being called,
// already finds its pending row, so a crash mid-call loses nothing; after
// it answers, the row has the outcome, latency and the fee rounded
// half-up to whole đồng.
func TestAttemptIsRecordedBeforeTheCall(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	id := payment(t, g, "HS-ROUTE-0001")
	var seen string
	momo := &fake{name: "momo"}
	momo.issue = func(ctx context.Context, o banks.Order) (banks.Issued, error) {
		err := g.Pool.QueryRow(ctx, `SELECT outcome FROM payment_attempts WHERE order_id = $1`, o.OrderID).Scan(&seen)
		if err != nil || o.OrderID != banks.OrderID(id, 1) || o.CreatedAt.IsZero() || o.CallbackURL != "https://gw.example/v1/callbacks/momo" {
			return banks.Issued{}, fmt.Errorf("order %+v: %v", o, err)
		}
		time.Sleep(5 * time.Millisecond)
		return ok("momo")(ctx, o)
	}
	r := &routing.Router{Pool: g.Pool, CallbackBase: func() string { return "https://gw.example" },
		Entries: []routing.Entry{{Provider: momo, Fee: fee("1.115")}}}
	qr, err := r.Issue(context.Background(), id, "momo")
	if err != nil || seen != routing.OutcomePending || qr.Attempt != 1 || qr.Reused {
		t.Fatalf("Issue = %+v, %v; row while calling: %q", qr, err, seen)
	}
	var outcome string
	var latency int
	var fee decimal.Decimal
	if err := g.Pool.QueryRow(context.Background(), `SELECT outcome, latency_ms, fee FROM payment_attempts WHERE payment_id = $1`, id).Scan(&outcome, &latency, &fee); err != nil {
		t.Fatal(err)
	}
	// 135,000 × 1.115 % = 1,505.25 → 1,505; the row keeps whole đồng.
	if outcome != routing.OutcomeIssued || latency < 5 || !fee.Equal(decimal.NewFromInt(1505)) {
		t.Fatalf("row: %s %dms fee %s", outcome, latency, fee)
	}
}

func TestFailoverOutcomesAndOrderIDs(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	id := payment(t, g, "HS-ROUTE-0002")
	quiet := func(name string) *breaker.Breaker {
		return breaker.New(name, breaker.Settings{Timeout: 50 * time.Millisecond, Attempts: 1}, nil)
	}
	slow := &fake{name: "momo", issue: func(ctx context.Context, o banks.Order) (banks.Issued, error) {
		b := quiet("x")
		return banks.Issued{}, b.Do(ctx, breaker.Call{Op: "create"}, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	}}
	broken := &fake{name: "zalopay", issue: func(context.Context, banks.Order) (banks.Issued, error) {
		return banks.Issued{}, errors.New("zalopay create: HTTP 500")
	}}
	open := quiet("vnpay")
	busy := &fake{name: "vnpay", issue: func(ctx context.Context, o banks.Order) (banks.Issued, error) {
		return banks.Issued{}, &breaker.CallError{Provider: "vnpay", Op: "create", Err: breaker.ErrBusy}
	}}
	good := &fake{name: "momo2", issue: ok("momo2")}
	good2 := &fake{name: "vietqr"}
	good2.issue = ok("vietqr")
	r := &routing.Router{Pool: g.Pool, Entries: []routing.Entry{
		{Provider: slow, Fee: fee("1.0")}, {Provider: broken, Fee: fee("1.1")}, {Provider: busy, Breaker: open, Fee: fee("1.2")},
		{Provider: good, Fee: fee("1.3")}, {Provider: good2, Fee: fee("1.4")},
	}}
	qr, err := r.Issue(context.Background(), id, banks.MethodAny)
	if err != nil || qr.Provider != "momo2" || qr.Attempt != 4 || qr.OrderID != banks.OrderID(id, 4) {
		t.Fatalf("Issue = %+v, %v", qr, err)
	}
	rows, err := g.Pool.Query(context.Background(), `SELECT provider, order_id, outcome FROM payment_attempts WHERE payment_id = $1 ORDER BY attempt`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var p, o, out string
		_ = rows.Scan(&p, &o, &out)
		got = append(got, p+" "+o[len(id):]+" "+out)
	}
	want := []string{"momo -1 timeout", "zalopay -2 failed", "vnpay -3 breaker_open", "momo2 -4 issued"}
	if fmt.Sprint(got) != fmt.Sprint(want) || good2.calls.Load() != 0 {
		t.Fatalf("attempts = %v, want %v", got, want)
	}
	// Asking again reuses attempt 4; asking for a method it cannot serve
	// goes to the next provider that can.
	again, err := r.Issue(context.Background(), id, banks.MethodAny)
	if err != nil || !again.Reused || again.OrderID != qr.OrderID || good.calls.Load() != 1 {
		t.Fatalf("again = %+v, %v", again, err)
	}
	bank, err := r.Issue(context.Background(), id, "vietqr")
	if err != nil || bank.Provider != "vietqr" || bank.Attempt != 5 {
		t.Fatalf("vietqr = %+v, %v", bank, err)
	}
}

// TestTwoInstancesNeverShareAnOrderID runs two routers (two gateway
// processes) on one payment at once: every attempt gets its own number.
func TestTwoInstancesNeverShareAnOrderID(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	id := payment(t, g, "HS-ROUTE-0003")
	fail := &fake{name: "momo", issue: func(context.Context, banks.Order) (banks.Issued, error) {
		return banks.Issued{}, errors.New("refused")
	}}
	routers := []*routing.Router{
		{Pool: g.Pool, Entries: []routing.Entry{{Provider: fail}}},
		{Pool: g.Pool, Entries: []routing.Entry{{Provider: fail}}},
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = routers[i%2].Issue(context.Background(), id, "momo")
		}()
	}
	wg.Wait()
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1`, id); n != 20 {
		t.Fatalf("attempts = %d, want 20", n)
	}
	if n := g.Count(t, `SELECT count(DISTINCT order_id) FROM payment_attempts WHERE payment_id = $1`, id); n != 20 {
		t.Fatalf("distinct order ids = %d", n)
	}
}

func TestIssueRefusals(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	id := payment(t, g, "HS-ROUTE-0004")
	down := &fake{name: "momo", issue: func(context.Context, banks.Order) (banks.Issued, error) {
		return banks.Issued{}, errors.New("refused")
	}}
	r := &routing.Router{Pool: g.Pool, MaxAttempts: 3, Entries: []routing.Entry{{Provider: down}}}
	for range 5 {
		if _, err := r.Issue(context.Background(), id, "momo"); !errors.Is(err, routing.ErrUnavailable) {
			t.Fatalf("Issue = %v", err)
		}
	}
	if n := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1`, id); n != 3 {
		t.Fatalf("attempts = %d, want MaxAttempts", n)
	}
	if _, err := r.Issue(context.Background(), id, "zalopay"); !errors.Is(err, routing.ErrMethodUnavailable) {
		t.Fatalf("unconfigured method = %v", err)
	}
	if _, err := g.Pool.Exec(context.Background(), `UPDATE payments SET expires_at = now() - interval '1 minute' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Issue(context.Background(), id, "momo"); !errors.Is(err, routing.ErrNotOpen) {
		t.Fatalf("expired payment = %v", err)
	}
}
