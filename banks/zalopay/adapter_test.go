package zalopay_test

import (
	"context"
	"encoding/json"
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
	"github.com/civicpay/civicpay/banks/zalopay"
)

func adapter(endpoint string) *zalopay.Adapter {
	b := breaker.New("zalopay", breaker.Settings{Timeout: 2 * time.Second, Attempts: 2, Backoff: time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &zalopay.Adapter{Endpoint: endpoint, AppID: sandbox.ZaloPayAppID, Key1: sandbox.ZaloPayKey1, Key2: sandbox.ZaloPayKey2,
		Breaker: b, Client: breaker.NewClient(b.Settings())}
}

func TestAdapterParseCallbackVector(t *testing.T) {
	t.Parallel()
	body := callbackBody(callbackData, callbackMAC)
	cb, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/v1/callbacks/zalopay", nil), body)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Provider != "zalopay" || cb.TxnID != "200904000000389" || cb.OrderID != "200904_2553_1598435687208" ||
		!cb.Amount.Equal(decimal.NewFromInt(10000)) || !cb.Succeeded || cb.Currency != "VND" || cb.Livemode || string(cb.Raw) != string(body) {
		t.Fatalf("callback = %+v", cb)
	}
	if zalopay.SignCallback(key2, callbackData) != callbackMAC {
		t.Fatal("SignCallback does not reproduce the published MAC")
	}
}

func TestAdapterParseCallbackRejects(t *testing.T) {
	t.Parallel()
	signed := func(data string) []byte { return callbackBody(data, macHex(key2, data)) }
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"key1 MAC", callbackBody(callbackData, macHex(key1, callbackData)), banks.ErrSignature},
		{"tampered", callbackBody(strings.Replace(callbackData, "10000", "10001", 1), callbackMAC), banks.ErrSignature},
		{"another app", signed(strings.Replace(callbackData, `"app_id":2553`, `"app_id":2554`, 1)), banks.ErrMalformed},
		{"garbage", []byte("x"), banks.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/", nil), tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	agreement, _ := json.Marshal(map[string]any{"data": callbackData, "mac": callbackMAC, "type": zalopay.TypeAgreement})
	if _, err := adapter("").ParseCallback(httptest.NewRequest("POST", "/", nil), agreement); !errors.Is(err, banks.ErrNotPayment) {
		t.Fatalf("agreement callback = %v", err)
	}
}

// TestAdapterCreateVector sends the spec's self-computed create vector
// through Issue and checks the MAC on the wire.
func TestAdapterCreateVector(t *testing.T) {
	t.Parallel()
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		form = r.PostForm
		_, _ = io.WriteString(w, `{"return_code":1,"return_message":"ok","sub_return_code":1,"order_url":"https://sb.example/order"}`)
	}))
	t.Cleanup(srv.Close)
	at := time.UnixMilli(1704067200000)
	a := adapter(srv.URL)
	a.AppUser, a.Now = "user123", func() time.Time { return at }
	issued, err := a.Issue(context.Background(), banks.Order{OrderID: "123456", Amount: decimal.NewFromInt(50000), CreatedAt: at, PaymentCode: "CP7K9Q2XT4"})
	if err != nil || issued.QRPayload != "https://sb.example/order" || issued.ProviderRef != "240101_123456" {
		t.Fatalf("Issue = %+v, %v", issued, err)
	}
	if got := form.Get("mac"); got != "25582ddf00033e1723a7a4d7daa2f6c7a7a93174489b9c470cfd45dd30377254" {
		t.Fatalf("mac = %s (form %v)", got, form)
	}
}

type catcher struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *catcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
	_, _ = w.Write(zalopay.ReplySuccess.JSON())
}

func TestAdapterSandboxRoundTrip(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	gw := &catcher{}
	cbSrv := httptest.NewServer(gw)
	t.Cleanup(cbSrv.Close)
	a := adapter(sb.URL() + sandbox.ZaloPayPath)
	created := time.Now()
	a.CreatedAt = func(context.Context, string) (time.Time, error) { return created, nil }
	ctx := context.Background()
	order := banks.Order{PaymentID: "pay_AbC123def456GHI789jkl012", OrderID: "pay_AbC123def456GHI789jkl012-2", Amount: decimal.NewFromInt(8000),
		PaymentCode: "CP7K9Q2XT4", ReturnURL: "https://portal.example/r", CallbackURL: cbSrv.URL, CreatedAt: created,
		ExpiresAt: created.Add(time.Hour)}
	issued, err := a.Issue(ctx, order)
	if err != nil || !strings.HasPrefix(issued.QRPayload, sb.URL()+"/zalopay/pay/") {
		t.Fatalf("Issue = %+v, %v", issued, err)
	}
	// ZaloPay refuses a second order with the same app_trans_id (-68).
	if _, err := a.Issue(ctx, order); !errors.Is(err, breaker.ErrRejected) {
		t.Fatalf("repeated Issue = %v, want a refusal", err)
	}
	if orders := sb.Orders("zalopay"); len(orders) != 1 {
		t.Fatalf("orders = %+v", orders)
	}
	if st, err := a.Query(ctx, order.OrderID); err != nil || !st.Known || st.Final {
		t.Fatalf("Query before paying = %+v, %v", st, err)
	}
	if _, err := sb.Pay(sandbox.PayRequest{QRPayload: issued.QRPayload}); err != nil {
		t.Fatal(err)
	}
	cb, err := a.ParseCallback(httptest.NewRequest("POST", "/", nil), gw.bodies[0])
	if err != nil || cb.PaymentID != order.PaymentID || cb.OrderID != issued.ProviderRef || !cb.Amount.Equal(order.Amount) {
		t.Fatalf("callback = %+v, %v", cb, err)
	}
	for _, id := range []string{order.OrderID, issued.ProviderRef} {
		if st, err := a.Query(ctx, id); err != nil || !st.Succeeded || st.TxnID != cb.TxnID {
			t.Fatalf("Query(%s) after paying = %+v, %v", id, st, err)
		}
	}
	if err := a.Probe(ctx); err != nil {
		t.Fatalf("Probe = %v", err)
	}
	if _, err := a.Refund(ctx, banks.RefundRequest{}); !errors.Is(err, banks.ErrUnsupported) {
		t.Fatalf("Refund = %v", err)
	}
}

func TestAdapterWriteReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply banks.Reply
		body  string
	}{
		{banks.Reply{Outcome: banks.OutcomeSettled}, `{"return_code":1,"return_message":"success"}`},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "already_settled"}, `{"return_code":1,"return_message":"success"}`},
		{banks.Reply{Outcome: banks.OutcomeError}, `{"return_code":0,"return_message":"retry"}`},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonSignature}, `{"return_code":-1,"return_message":"mac not equal"}`},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		adapter("").WriteReply(w, tt.reply)
		if w.Code != 200 || w.Body.String() != tt.body {
			t.Errorf("%+v → %d %s", tt.reply, w.Code, w.Body)
		}
	}
}

func FuzzAdapterParseCallback(f *testing.F) {
	f.Add(callbackBody(callbackData, callbackMAC))
	f.Add([]byte(`{"data":"{\"app_id\":2553}","mac":"","type":1}`))
	a := adapter("")
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := a.ParseCallback(httptest.NewRequest("POST", "/", nil), body)
		if err != nil {
			if !errors.Is(err, banks.ErrSignature) && !errors.Is(err, banks.ErrMalformed) && !errors.Is(err, banks.ErrNotPayment) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if cb.TxnID == "" || !cb.Succeeded || !cb.Amount.IsPositive() || !cb.Amount.IsInteger() {
			t.Fatalf("accepted %+v", cb)
		}
	})
}
