package momo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/momo"
)

// Spec §3.7 vectors: self-computed with MoMo's public sandbox keys, NOT
// independently verified against MoMo.
const (
	accessKey  = "F8BBA842ECF85"
	secretKey  = "K951B6PE1waDMi640xX08PD3vg6EkVlz"
	createSig  = "7f5dbb3057d04d565f463043d241f8022c215af5426155560a4f3a45de82a179"
	ipnSig     = "6b6a1759198cb50ddd42ad4dfdb40497037bdf87006f4d88fd918eb27f5185ea"
	ipnVectorT = `{"partnerCode":"MOMO","orderId":"MOMO1700000000000","requestId":"MOMO1700000000000",` +
		`"amount":50000,"orderInfo":"pay with MoMo","orderType":"momo_wallet","transId":4088878653,` +
		`"resultCode":0,"message":"Successful.","payType":"qr","responseTime":1700000030000,` +
		`"extraData":"","signature":"%s"}`
)

var ipnVector = fmt.Sprintf(ipnVectorT, ipnSig)

func createVector() momo.CreateRequest {
	return momo.CreateRequest{
		PartnerCode: "MOMO",
		RequestID:   "MOMO1700000000000",
		Amount:      50000,
		OrderID:     "MOMO1700000000000",
		OrderInfo:   "pay with MoMo",
		RedirectURL: "https://example.org/return",
		IpnURL:      "https://example.org/momo/ipn",
		Lang:        "vi",
	}
}

func TestCreateSignVector(t *testing.T) {
	t.Parallel()
	r := createVector()
	r.Sign(accessKey, secretKey)
	if r.Signature != createSig || r.RequestType != momo.CaptureWallet {
		t.Fatalf("Sign = %s (%s), want %s", r.Signature, r.RequestType, createSig)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	want := `{"partnerCode":"MOMO","requestId":"MOMO1700000000000","amount":50000,"orderId":"MOMO1700000000000",` +
		`"orderInfo":"pay with MoMo","redirectUrl":"https://example.org/return","ipnUrl":"https://example.org/momo/ipn",` +
		`"requestType":"captureWallet","extraData":"","lang":"vi","signature":"` + createSig + `"}`
	if string(b) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", b, want)
	}
}

func TestCreateValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*momo.CreateRequest)
	}{
		{"orderId with space", func(r *momo.CreateRequest) { r.OrderID = "a b" }},
		{"orderId trailing dash", func(r *momo.CreateRequest) { r.OrderID = "abc-" }},
		{"below wallet minimum", func(r *momo.CreateRequest) { r.Amount = 999 }},
		{"above wallet maximum", func(r *momo.CreateRequest) { r.Amount = 50_000_001 }},
		{"negative", func(r *momo.CreateRequest) { r.Amount = -1; r.RequestType = "payWithATM" }},
		{"lang", func(r *momo.CreateRequest) { r.Lang = "vn" }},
		{"no ipnUrl", func(r *momo.CreateRequest) { r.IpnURL = "" }},
		{"long requestId", func(r *momo.CreateRequest) { r.RequestID = strings.Repeat("x", 51) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := createVector()
			tt.edit(&r)
			if err := r.Validate(); !errors.Is(err, momo.ErrInvalid) {
				t.Fatalf("Validate = %v", err)
			}
		})
	}
}

func TestParseIPNVector(t *testing.T) {
	t.Parallel()
	n, err := momo.ParseIPN(accessKey, secretKey, []byte(ipnVector))
	if err != nil {
		t.Fatal(err)
	}
	if !n.Amount.Equal(decimal.NewFromInt(50000)) || n.TransID != 4088878653 || !n.ResultCode.Succeeded() ||
		!n.ResponseTime.Equal(time.UnixMilli(1700000030000)) || n.OrderID != "MOMO1700000000000" || n.PayType != "qr" {
		t.Fatalf("ParseIPN = %+v", n)
	}
	upper := fmt.Sprintf(ipnVectorT, strings.ToUpper(ipnSig))
	if _, err := momo.ParseIPN(accessKey, secretKey, []byte(upper)); err != nil {
		t.Fatalf("upper-case signature: %v", err)
	}
	extra := strings.Replace(ipnVector, `"extraData"`, `"userFee":0,"extraData"`, 1)
	if _, err := momo.ParseIPN(accessKey, secretKey, []byte(extra)); err != nil {
		t.Fatalf("unknown unsigned field: %v", err)
	}
	quoted := strings.Replace(ipnVector, `"transId":4088878653`, `"transId":"4088878653"`, 1)
	if _, err := momo.ParseIPN(accessKey, secretKey, []byte(quoted)); err != nil {
		t.Fatalf("quoted number: %v", err)
	}
}

func TestParseIPNRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		key    string
		target error
	}{
		{"wrong secret", ipnVector, "other", momo.ErrSignature},
		{"tampered amount", strings.Replace(ipnVector, "50000", "5000000", 1), secretKey, momo.ErrSignature},
		{"tampered result", strings.Replace(ipnVector, `"resultCode":0`, `"resultCode":1006`, 1), secretKey, momo.ErrSignature},
		{"amount written 5e4", strings.Replace(ipnVector, "50000", "5e4", 1), secretKey, momo.ErrSignature},
		{"no signature", strings.Replace(ipnVector, ipnSig, "", 1), secretKey, momo.ErrSignature},
		{"trailing data", ipnVector + "{}", secretKey, momo.ErrMalformed},
		{"not JSON", "partnerCode=MOMO", secretKey, momo.ErrMalformed},
		{"array", "[" + ipnVector + "]", secretKey, momo.ErrMalformed},
		{"amount as bool", strings.Replace(ipnVector, "50000", "true", 1), secretKey, momo.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := momo.ParseIPN(accessKey, tt.key, []byte(tt.body))
			if !errors.Is(err, tt.target) {
				t.Fatalf("ParseIPN err = %v, want %v", err, tt.target)
			}
		})
	}
}

func TestParseIPNBadAmountSigned(t *testing.T) {
	t.Parallel()
	// A correctly signed IPN with a nonsensical amount is still refused.
	for _, amount := range []string{"0", "50000.5", "-50000", "1e5"} {
		body := signIPN(t, amount)
		if _, err := momo.ParseIPN(accessKey, secretKey, body); !errors.Is(err, momo.ErrMalformed) {
			t.Errorf("amount %s: err = %v", amount, err)
		}
	}
}

// signIPN builds an IPN with the given amount literal, signed like MoMo.
func signIPN(t *testing.T, amount string) []byte {
	t.Helper()
	raw := "accessKey=" + accessKey + "&amount=" + amount + "&extraData=&message=Successful.&orderId=MOMO1700000000000" +
		"&orderInfo=pay with MoMo&orderType=momo_wallet&partnerCode=MOMO&payType=qr&requestId=MOMO1700000000000" +
		"&responseTime=1700000030000&resultCode=0&transId=4088878653"
	body := strings.Replace(fmt.Sprintf(ipnVectorT, hmacHex(secretKey, raw)), `"amount":50000`, `"amount":`+amount, 1)
	return []byte(body)
}

func TestQueryAndRefundSign(t *testing.T) {
	t.Parallel()
	// Self-computed: pins the [UNVERIFIED] field lists of spec §3.3.
	q := momo.QueryRequest{PartnerCode: "MOMO", RequestID: "R1", OrderID: "O1", Lang: "vi"}
	q.Sign(accessKey, secretKey)
	if want := hmacHex(secretKey, "accessKey="+accessKey+"&orderId=O1&partnerCode=MOMO&requestId=R1"); q.Signature != want {
		t.Fatalf("query signature %s, want %s", q.Signature, want)
	}
	r := momo.RefundRequest{PartnerCode: "MOMO", OrderID: "RF1", RequestID: "R2", Amount: 20000, TransID: 4088878653, Lang: "vi", Description: "hoan tien"}
	r.Sign(accessKey, secretKey)
	want := hmacHex(secretKey, "accessKey="+accessKey+"&amount=20000&description=hoan tien&orderId=RF1&partnerCode=MOMO&requestId=R2&transId=4088878653")
	if r.Signature != want {
		t.Fatalf("refund signature %s, want %s", r.Signature, want)
	}
}

func TestResultCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code             momo.ResultCode
		succeeded, final bool
	}{
		{momo.Success, true, true},
		{momo.Authorized, false, false},
		{momo.AwaitingConfirm, false, false},
		{momo.Processing, false, false},
		{momo.ProcessingProvider, false, false},
		{momo.Initiated, false, false},
		{momo.UnknownError, false, false},
		{momo.DeniedByUser, false, true},
		{momo.Cancelled, false, true},
		{momo.InsufficientFunds, false, true},
		{momo.AuthFailed, false, true},
	}
	for _, tt := range tests {
		if tt.code.Succeeded() != tt.succeeded || tt.code.Final() != tt.final {
			t.Errorf("%d: Succeeded=%v Final=%v", tt.code, tt.code.Succeeded(), tt.code.Final())
		}
	}
}

func ExampleParseIPN() {
	n, err := momo.ParseIPN(accessKey, secretKey, []byte(ipnVector))
	if err != nil {
		return // reply 4xx; MoMo will retry
	}
	fmt.Println(n.OrderID, n.Amount, n.ResultCode.Succeeded(), momo.IPNStatus)
	// Output: MOMO1700000000000 50000 true 204
}

func FuzzParseIPN(f *testing.F) {
	f.Add([]byte(ipnVector))
	f.Add([]byte(`{"amount":1e999}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, key := range []string{secretKey, ""} {
			n, err := momo.ParseIPN(accessKey, key, body)
			if err == nil && (!n.Amount.IsPositive() || !n.Amount.IsInteger()) {
				t.Fatalf("accepted amount %s", n.Amount)
			}
		}
	})
}
