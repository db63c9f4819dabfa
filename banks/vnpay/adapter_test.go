package vnpay_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vnpay"
)

func adapter(tmn, hashSecret, base string) *vnpay.Adapter {
	b := breaker.New("vnpay", breaker.Settings{Timeout: 2 * time.Second, Attempts: 2, Backoff: time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &vnpay.Adapter{PayEndpoint: base + sandbox.VNPayPayPath, APIEndpoint: base + sandbox.VNPayAPIPath, TmnCode: tmn,
		HashSecret: hashSecret, Breaker: b, Client: breaker.NewClient(b.Settings())}
}

func ipnRequest(q url.Values) *http.Request {
	return httptest.NewRequest("GET", "/v1/callbacks/vnpay?"+q.Encode(), nil)
}

func TestAdapterParseCallbackVector(t *testing.T) {
	t.Parallel()
	q := vectorParams()
	q.Set("vnp_SecureHash", vectorHash)
	cb, err := adapter("TEST_TMN_CODE", secret, "").ParseCallback(ipnRequest(q), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Provider != "vnpay" || cb.TxnID != "14422574" || cb.OrderID != "1716257871703" || cb.ResultCode != "00" ||
		!cb.Amount.Equal(decimal.NewFromInt(10000)) || !cb.Succeeded || cb.Currency != "VND" || len(cb.Raw) == 0 {
		t.Fatalf("callback = %+v", cb)
	}
}

func TestAdapterParseCallbackCases(t *testing.T) {
	t.Parallel()
	edit := func(f func(url.Values)) url.Values {
		q := vectorParams()
		f(q)
		return signedQuery(q)
	}
	tests := []struct {
		name    string
		q       url.Values
		want    error
		txn     string
		success bool
	}{
		{"cancelled: no transaction number", edit(func(q url.Values) {
			q.Set("vnp_ResponseCode", "24")
			q.Set("vnp_TransactionStatus", "02")
			q.Set("vnp_TransactionNo", "0")
		}), nil, "ref:1716257871703:24", false},
		{"suspicious waits for VNPAY", edit(func(q url.Values) { q.Set("vnp_ResponseCode", "07") }), banks.ErrNotPayment, "", false},
		{"another merchant", edit(func(q url.Values) { q.Set("vnp_TmnCode", "OTHER") }), banks.ErrMalformed, "", false},
		{"tampered", func() url.Values { q := signedQuery(vectorParams()); q.Set("vnp_Amount", "2000000"); return q }(), banks.ErrSignature, "", false},
		{"unsigned", vectorParams(), banks.ErrSignature, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb, err := adapter("TEST_TMN_CODE", secret, "").ParseCallback(ipnRequest(tt.q), nil)
			if !errors.Is(err, tt.want) || (tt.want == nil && (cb.TxnID != tt.txn || cb.Succeeded != tt.success)) {
				t.Fatalf("ParseCallback = %+v, %v", cb, err)
			}
		})
	}
}

func TestReplyFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply banks.Reply
		code  string
	}{
		{banks.Reply{Outcome: banks.OutcomeSettled}, "00"},
		{banks.Reply{Outcome: banks.OutcomeFailed}, "00"},
		{banks.Reply{Outcome: banks.OutcomeIgnored}, "02"},
		{banks.Reply{Outcome: banks.OutcomeIgnored, Reason: banks.ReasonNotPayment}, "00"},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "already_settled"}, "02"},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "unknown_reference"}, "01"},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "amount_mismatch"}, "04"},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "payment_expired"}, "00"},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonSignature}, "97"},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonMalformed}, "99"},
		{banks.Reply{Outcome: banks.OutcomeError}, "99"},
	}
	for _, tt := range tests {
		if got := vnpay.ReplyFor(tt.reply); got.RspCode != tt.code {
			t.Errorf("%+v → %+v, want %s", tt.reply, got, tt.code)
		}
	}
	w := httptest.NewRecorder()
	adapter("X", "y", "").WriteReply(w, banks.Reply{Outcome: banks.OutcomeSettled})
	if w.Code != 200 || w.Body.String() != `{"RspCode":"00","Message":"Confirm Success"}` {
		t.Fatalf("WriteReply = %d %s", w.Code, w.Body)
	}
}

type ipnCatcher struct {
	mu      sync.Mutex
	queries []string
}

func (c *ipnCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.queries = append(c.queries, r.URL.RawQuery)
	c.mu.Unlock()
	_, _ = w.Write(vnpay.ReplyConfirmed.JSON())
}

func TestAdapterSandboxRoundTrip(t *testing.T) {
	t.Parallel()
	gw := &ipnCatcher{}
	gwSrv := httptest.NewServer(gw)
	t.Cleanup(gwSrv.Close)
	sb := sandbox.New(sandbox.Config{Gateway: gwSrv.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	a := adapter(sandbox.VNPayTmnCode, sandbox.VNPayHashSecret, sb.URL())
	created := time.Now().Truncate(time.Second)
	a.CreatedAt = func(context.Context, string) (time.Time, error) { return created, nil }
	ctx := context.Background()
	order := banks.Order{PaymentID: "pay_AbC123def456GHI789jkl012", OrderID: "pay_AbC123def456GHI789jkl012-3", Amount: decimal.NewFromInt(135000),
		PaymentCode: "CP7K9Q2XT4", ReturnURL: "https://portal.example/r", CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	issued, err := a.Issue(ctx, order)
	if err != nil || !strings.HasPrefix(issued.QRPayload, sb.URL()+sandbox.VNPayPayPath+"?") || issued.PayURL != issued.QRPayload {
		t.Fatalf("Issue = %+v, %v", issued, err)
	}
	if a.Breaker.Snapshot().Requests != 0 {
		t.Fatal("issuing a pay URL called VNPAY")
	}
	// VNPAY knows the order only once the payer opens the URL.
	if st, err := a.Query(ctx, order.OrderID); err != nil || st.Known {
		t.Fatalf("Query before the payer came = %+v, %v", st, err)
	}
	if _, err := sb.Pay(sandbox.PayRequest{QRPayload: issued.QRPayload}); err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(gw.queries[0])
	cb, err := a.ParseCallback(ipnRequest(q), nil)
	if err != nil || !cb.Succeeded || cb.PaymentID != order.PaymentID || !cb.Amount.Equal(order.Amount) {
		t.Fatalf("IPN = %+v, %v", cb, err)
	}
	st, err := a.Query(ctx, order.OrderID)
	if err != nil || !st.Succeeded || !st.Final || st.TxnID != cb.TxnID || !st.Amount.Equal(order.Amount) {
		t.Fatalf("Query after paying = %+v, %v", st, err)
	}
	// querydr must repeat the order's own date: another date finds nothing.
	a.CreatedAt = func(context.Context, string) (time.Time, error) { return created.Add(-time.Hour), nil }
	if st, err := a.Query(ctx, order.OrderID); err != nil || st.Known {
		t.Fatalf("Query with the wrong date = %+v, %v", st, err)
	}
	if err := a.Probe(ctx); err != nil {
		t.Fatalf("Probe = %v", err)
	}
	// With a wrong secret no answer verifies: a failure, never a status.
	bad := adapter(sandbox.VNPayTmnCode, "wrong", sb.URL())
	if st, err := bad.Query(ctx, order.OrderID); !errors.Is(err, vnpay.ErrSignature) || st.Known {
		t.Fatalf("Query with a wrong secret = %+v, %v", st, err)
	}
}

func FuzzAdapterParseCallback(f *testing.F) {
	f.Add(vectorMsg + "&vnp_SecureHash=" + vectorHash)
	f.Add("vnp_TxnRef=1&vnp_TxnRef=2")
	a := adapter("TEST_TMN_CODE", secret, "")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		cb, err := a.ParseCallback(r, nil)
		if err != nil {
			if !errors.Is(err, banks.ErrSignature) && !errors.Is(err, banks.ErrMalformed) && !errors.Is(err, banks.ErrNotPayment) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if cb.TxnID == "" || !cb.Amount.IsPositive() || !cb.Amount.IsInteger() || cb.OrderID == "" {
			t.Fatalf("accepted %+v", cb)
		}
	})
}
