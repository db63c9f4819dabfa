package momo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/sandbox"
)

// How MoMo's answers about a refund are read: only a final refusal that
// names the refund releases its money; everything uncertain is pending.
func TestRefundAnswers(t *testing.T) {
	t.Parallel()
	const re = "re_AbC123def456GHI789jkl012"
	answer := func(code int, orderID, partner string, amount int64) map[string]any {
		return map[string]any{"partnerCode": partner, "orderId": orderID, "requestId": re, "amount": amount,
			"transId": 4088878999, "resultCode": code, "message": "x", "responseTime": 1}
	}
	ours := func(code int) map[string]any { return answer(code, re, sandbox.MoMoPartnerCode, 35000) }
	final := func(code string) banks.RefundResult { return banks.RefundResult{Code: code} }
	pending := func(code string) banks.RefundResult { return banks.RefundResult{Code: code, Pending: true} }
	tests := []struct {
		name   string
		status int
		body   map[string]any
		refund banks.RefundResult // answer to Refund; zero with refundErr
		query  banks.RefundResult // answer to QueryRefund
		err    bool               // no answer at all (both calls)
	}{
		{"paid", 200, ours(0), banks.RefundResult{Succeeded: true, ProviderRef: "4088878999", Code: "0"}, banks.RefundResult{Succeeded: true, ProviderRef: "4088878999", Code: "0"}, false},
		{"paid, another order", 200, answer(0, "re_other", sandbox.MoMoPartnerCode, 35000), banks.RefundResult{}, banks.RefundResult{}, true},
		{"paid, another amount", 200, answer(0, re, sandbox.MoMoPartnerCode, 35001), banks.RefundResult{}, banks.RefundResult{}, true},
		{"initiated", 200, ours(1000), pending("1000"), pending("1000"), false},
		{"processing", 200, ours(7000), pending("7000"), pending("7000"), false},
		{"processing by provider", 200, ours(7002), pending("7002"), pending("7002"), false},
		{"awaiting confirmation", 200, ours(8000), pending("8000"), pending("8000"), false},
		{"duplicate requestId", 409, ours(40), pending("40"), pending("40"), false},
		{"duplicate orderId", 409, ours(41), pending("41"), pending("41"), false},
		{"conflict in flight", 409, ours(43), pending("43"), pending("43"), false},
		{"declined", 200, ours(1080), final("1080"), final("1080"), false},
		{"declined, no orderId", 400, answer(1080, "", sandbox.MoMoPartnerCode, 0), pending("1080"), pending("1080"), false},
		{"declined, another partner", 200, answer(1080, re, "MOMOX", 35000), pending("1080"), pending("1080"), false},
		{"unknown order", 200, ours(42), final("42"), banks.RefundResult{Code: "42", NotFound: true}, false},
		{"unknown error", 200, ours(99), banks.RefundResult{}, banks.RefundResult{}, true},
		{"maintenance", 503, ours(10), banks.RefundResult{}, banks.RefundResult{}, true},
		{"server error", 500, nil, banks.RefundResult{}, banks.RefundResult{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				if tt.body != nil {
					_ = json.NewEncoder(w).Encode(tt.body)
				}
			}))
			defer srv.Close()
			a := adapter(srv.URL)
			req := banks.RefundRequest{RefundID: re, OrderID: "pay_x-1", TxnID: "4088878653", Amount: decimal.NewFromInt(35000)}
			r, err := a.Refund(context.Background(), req)
			if (err != nil) != tt.err || r != tt.refund {
				t.Errorf("Refund = %+v, %v; want %+v, error %v", r, err, tt.refund, tt.err)
			}
			q, err := a.QueryRefund(context.Background(), req)
			if (err != nil) != tt.err || q != tt.query {
				t.Errorf("QueryRefund = %+v, %v; want %+v, error %v", q, err, tt.query, tt.err)
			}
			if !tt.err && r.Final() == (r.Pending || r.NotFound) {
				t.Errorf("Final() = %v for %+v", r.Final(), r)
			}
		})
	}
}
