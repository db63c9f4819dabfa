package momo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/momo"
	"github.com/civicpay/civicpay/banks/sandbox"
)

// The spec §3.7 regression vector (sandbox partner MOMO).
const (
	vecAccess = "F8BBA842ECF85"
	vecSecret = "K951B6PE1waDMi640xX08PD3vg6EkVlz"
	vecIPNSig = "6b6a1759198cb50ddd42ad4dfdb40497037bdf87006f4d88fd918eb27f5185ea"
)

func vectorIPN() momo.IPNBody {
	return momo.IPNBody{
		PartnerCode: "MOMO", OrderID: "MOMO1700000000000", RequestID: "MOMO1700000000000", Amount: 50000,
		OrderInfo: "pay with MoMo", OrderType: "momo_wallet", TransID: 4088878653, ResultCode: 0,
		Message: "Successful.", PayType: "qr", ResponseTime: 1700000030000,
	}
}

func adapter(endpoint string) *momo.Adapter {
	b := breaker.New("momo", breaker.Settings{Timeout: 2 * time.Second, Attempts: 2, Backoff: time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &momo.Adapter{Endpoint: endpoint, PartnerCode: sandbox.MoMoPartnerCode, AccessKey: sandbox.MoMoAccessKey,
		SecretKey: sandbox.MoMoSecretKey, Breaker: b, Client: breaker.NewClient(b.Settings())}
}

func TestAdapterParseCallbackVector(t *testing.T) {
	t.Parallel()
	body := vectorIPN().Sign(vecAccess, vecSecret)
	if !bytes.Contains(body, []byte(`"signature":"`+vecIPNSig+`"`)) {
		t.Fatalf("IPNBody.Sign does not reproduce the vector: %s", body)
	}
	cb, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/v1/callbacks/momo", nil), body)
	if err != nil {
		t.Fatal(err)
	}
	want := banks.Callback{Provider: "momo", TxnID: "4088878653", PaymentID: "MOMO1700000000000", OrderID: "MOMO1700000000000",
		Amount: decimal.NewFromInt(50000), Currency: "VND", Succeeded: true, ResultCode: "0", Raw: body}
	if !equalCallback(cb, want) {
		t.Fatalf("callback = %+v", cb)
	}
}

func equalCallback(a, b banks.Callback) bool {
	return a.Provider == b.Provider && a.TxnID == b.TxnID && a.PaymentID == b.PaymentID && a.OrderID == b.OrderID &&
		a.Amount.Equal(b.Amount) && a.Currency == b.Currency && a.Succeeded == b.Succeeded && a.ResultCode == b.ResultCode &&
		a.Livemode == b.Livemode && bytes.Equal(a.Raw, b.Raw) && a.Account == b.Account && a.PaymentCode == b.PaymentCode
}

func TestAdapterParseCallbackRejects(t *testing.T) {
	t.Parallel()
	signed := func(edit func(*momo.IPNBody)) []byte {
		n := vectorIPN()
		edit(&n)
		return n.Sign(vecAccess, vecSecret)
	}
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"tampered amount", bytes.Replace(vectorIPN().Sign(vecAccess, vecSecret), []byte("50000"), []byte("90000"), 1), banks.ErrSignature},
		{"other secret", vectorIPN().Sign(vecAccess, "another-secret"), banks.ErrSignature},
		{"still processing", signed(func(n *momo.IPNBody) { n.ResultCode = momo.Processing }), banks.ErrNotPayment},
		{"another partner", signed(func(n *momo.IPNBody) { n.PartnerCode = "MOMOX" }), banks.ErrMalformed},
		{"not JSON", []byte("resultCode=0"), banks.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/", nil), tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// A declined payment is a final answer: it settles as a failure.
	cb, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/", nil), signed(func(n *momo.IPNBody) { n.ResultCode = momo.DeniedByUser }))
	if err != nil || cb.Succeeded || cb.ResultCode != "1006" {
		t.Fatalf("declined = %+v, %v", cb, err)
	}
}

func TestAdapterWriteReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply  banks.Reply
		status int
	}{
		{banks.Reply{Outcome: banks.OutcomeSettled}, 204},
		{banks.Reply{Outcome: banks.OutcomeFailed}, 204},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "amount_mismatch"}, 204},
		{banks.Reply{Outcome: banks.OutcomeIgnored, Reason: banks.ReasonNotPayment}, 204},
		{banks.Reply{Outcome: banks.OutcomeError}, 503},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonSignature}, 401},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonMalformed}, 400},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		adapter("").WriteReply(w, tt.reply)
		if w.Code != tt.status || w.Body.Len() != 0 {
			t.Errorf("%+v → %d %q, want %d", tt.reply, w.Code, w.Body, tt.status)
		}
	}
}

// ipnCatcher is the gateway's callback URL in a round trip.
type ipnCatcher struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *ipnCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
	w.WriteHeader(momo.IPNStatus)
}

func startSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func TestAdapterSandboxRoundTrip(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	gw := &ipnCatcher{}
	ipn := httptest.NewServer(gw)
	t.Cleanup(ipn.Close)
	a := adapter(sb.URL() + sandbox.MoMoPath)
	ctx := context.Background()
	order := banks.Order{PaymentID: "pay_AbC123def456GHI789jkl012", OrderID: banks.OrderID("pay_AbC123def456GHI789jkl012", 1),
		Amount: decimal.NewFromInt(135000), PaymentCode: "CP7K9Q2XT4", Description: "Lệ phí cấp đổi GPLX",
		ReturnURL: "https://portal.example/return", CallbackURL: ipn.URL}
	issued, err := a.Issue(ctx, order)
	if err != nil || !strings.HasPrefix(issued.QRPayload, sb.URL()+"/momo/pay/") || issued.Deeplink == "" {
		t.Fatalf("Issue = %+v, %v", issued, err)
	}
	// The same create again is the same request to MoMo: no second order.
	if again, err := a.Issue(ctx, order); err != nil || again.QRPayload != issued.QRPayload {
		t.Fatalf("repeated Issue = %+v, %v", again, err)
	}
	if orders := sb.Orders("momo"); len(orders) != 1 || orders[0].Creates != 2 {
		t.Fatalf("sandbox orders = %+v", orders)
	}
	if st, err := a.Query(ctx, order.OrderID); err != nil || !st.Known || st.Final {
		t.Fatalf("Query before paying = %+v, %v", st, err)
	}
	if _, err := sb.Pay(sandbox.PayRequest{QRPayload: issued.QRPayload}); err != nil {
		t.Fatal(err)
	}
	if len(gw.bodies) != 1 {
		t.Fatalf("IPNs received = %d", len(gw.bodies))
	}
	cb, err := a.ParseCallback(httptest.NewRequest("POST", "/", nil), gw.bodies[0])
	if err != nil || !cb.Succeeded || cb.PaymentID != order.PaymentID || !cb.Amount.Equal(order.Amount) {
		t.Fatalf("IPN = %+v, %v", cb, err)
	}
	st, err := a.Query(ctx, order.OrderID)
	if err != nil || !st.Succeeded || !st.Final || st.TxnID != cb.TxnID {
		t.Fatalf("Query after paying = %+v, %v", st, err)
	}
	refund := banks.RefundRequest{RefundID: "re_AbC123def456GHI789jkl012", OrderID: order.OrderID, TxnID: cb.TxnID, Amount: decimal.NewFromInt(35000)}
	r1, err := a.Refund(ctx, refund)
	if err != nil || !r1.Succeeded || r1.ProviderRef == "" {
		t.Fatalf("Refund = %+v, %v", r1, err)
	}
	// A retried refund (same refund id) is deduplicated by MoMo.
	if r2, err := a.Refund(ctx, refund); err != nil || r2 != r1 {
		t.Fatalf("repeated Refund = %+v, %v (first %+v)", r2, err, r1)
	}
	if err := a.Probe(ctx); err != nil {
		t.Fatalf("Probe of a healthy MoMo = %v", err)
	}
}

func TestAdapterFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    sandbox.Fault
		rejected bool // MoMo answered: not a failure the breaker counts
	}{
		{"down", sandbox.Fault{Mode: sandbox.ModeDown}, false},
		{"5xx", sandbox.Fault{Mode: sandbox.ModeUnavailable}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			if err := sb.SetFault("momo", tt.fault); err != nil {
				t.Fatal(err)
			}
			a := adapter(sb.URL() + sandbox.MoMoPath)
			_, err := a.Issue(context.Background(), banks.Order{OrderID: "pay_AbC123def456GHI789jkl012-1", Amount: decimal.NewFromInt(10000),
				PaymentCode: "CP7K9Q2XT4", ReturnURL: "https://x.example/", CallbackURL: "https://x.example/ipn"})
			if err == nil || errors.Is(err, breaker.ErrRejected) != tt.rejected {
				t.Fatalf("Issue = %v", err)
			}
			if s := a.Breaker.Snapshot(); s.Failures != 1 || s.Requests != 1 {
				t.Fatalf("breaker counted %+v", s)
			}
			if a.Probe(context.Background()) == nil {
				t.Fatal("Probe of a broken MoMo succeeded")
			}
		})
	}
	// A create MoMo refuses (here: below captureWallet's minimum, caught
	// before sending) never reaches the provider or the breaker.
	a := adapter("http://127.0.0.1:1")
	_, err := a.Issue(context.Background(), banks.Order{OrderID: "pay_x-1", Amount: decimal.NewFromInt(500), PaymentCode: "CP7K9Q2XT4",
		ReturnURL: "https://x.example/", CallbackURL: "https://x.example/ipn"})
	if !errors.Is(err, momo.ErrInvalid) || a.Breaker.Snapshot().Requests != 0 {
		t.Fatalf("Issue of 500 đồng = %v", err)
	}
}

func FuzzAdapterParseCallback(f *testing.F) {
	f.Add(vectorIPN().Sign(vecAccess, vecSecret))
	f.Add([]byte(`{"partnerCode":"MOMO","orderId":"pay_x-1","amount":1e3,"signature":"00"}`))
	a := adapter("")
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := a.ParseCallback(httptest.NewRequest("POST", "/", nil), body)
		if err != nil {
			if !errors.Is(err, banks.ErrSignature) && !errors.Is(err, banks.ErrMalformed) && !errors.Is(err, banks.ErrNotPayment) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if cb.TxnID == "" || cb.Provider != "momo" || !cb.Amount.IsPositive() || !cb.Amount.IsInteger() || cb.Livemode {
			t.Fatalf("accepted %+v", cb)
		}
	})
}

func TestSimulatorVerifiesTheCreateVector(t *testing.T) {
	t.Parallel()
	req := momo.CreateRequest{PartnerCode: "MOMO", RequestID: "MOMO1700000000000", Amount: 50000, OrderID: "MOMO1700000000000",
		OrderInfo: "pay with MoMo", RedirectURL: "https://example.org/return", IpnURL: "https://example.org/momo/ipn",
		RequestType: momo.CaptureWallet, Signature: "7f5dbb3057d04d565f463043d241f8022c215af5426155560a4f3a45de82a179"}
	if !req.Verify(vecAccess, vecSecret) {
		t.Fatal("the published create vector does not verify")
	}
	req.Amount++
	if req.Verify(vecAccess, vecSecret) {
		t.Fatal("a tampered create verifies")
	}
}
