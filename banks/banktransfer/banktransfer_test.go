package banktransfer_test

import (
	"context"
	"encoding/json"
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
	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/banktransfer"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vietqr"
)

const (
	cassoKey = "test-casso-key"
	sepayKey = "test-sepay-key"
	code     = "CP7K9Q2XT4"
)

var now = time.Date(2024, 12, 23, 0, 0, 5, 0, time.UTC)

func adapter() *banktransfer.Adapter {
	return &banktransfer.Adapter{CassoKey: cassoKey, SePayKey: sepayKey, Now: func() time.Time { return now }}
}

// TestIssueVector: Issue with vector 2's account, amount and content
// reproduces the published payload (spec §1.6, subiz/vietqr).
func TestIssueVector(t *testing.T) {
	t.Parallel()
	issued, err := adapter().Issue(context.Background(), banks.Order{
		Amount: decimal.NewFromInt(40123), PaymentCode: "test text string",
		Beneficiary: banks.Beneficiary{BIN: "970422", Account: "0023457923442"},
	})
	const want = "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6"
	if err != nil || issued.QRPayload != want || issued.Deeplink != "" || issued.PayURL != "" {
		t.Fatalf("Issue = %+v, %v", issued, err)
	}
	// A fraction of a đồng or a bad account is refused, never rounded.
	for _, o := range []banks.Order{
		{Amount: decimal.RequireFromString("1000.5"), PaymentCode: code, Beneficiary: banks.Beneficiary{BIN: "970415", Account: "123"}},
		{Amount: decimal.NewFromInt(1000), PaymentCode: code, Beneficiary: banks.Beneficiary{BIN: "97041", Account: "123"}},
	} {
		if _, err := adapter().Issue(context.Background(), o); err == nil {
			t.Fatalf("Issue(%+v) accepted", o)
		}
	}
}

func cassoBody(amount int64, description string) []byte {
	b, _ := json.Marshal(map[string]any{"error": 0, "data": map[string]any{
		"id": 218897, "reference": "FT24364030863634", "description": description, "amount": amount,
		"runningBalance": 16775000, "transactionDateTime": "2024-12-23 07:00:00", "accountNumber": "123456789",
		"bankName": "MBBank", "bankAbbreviation": "MBB", "virtualAccountNumber": "", "virtualAccountName": "",
		"counterAccountName": "NGUYỄN VĂN A", "counterAccountNumber": "0123456789", "counterAccountBankId": "970436",
		"counterAccountBankName": "Vietcombank",
	}})
	return b
}

func cassoRequest(t *testing.T, key string, at time.Time, body []byte) *http.Request {
	t.Helper()
	sig, err := bankfeed.SignCasso(key, body, at)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/v1/callbacks/casso", nil)
	r.Header.Set("X-Casso-Signature", sig)
	return r
}

const sepayDocs = `{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999","code":null,"content":"MBVCB.3278907687.CP7K9Q2XT4.CT tu 0123456789 NGUYEN VAN A toi 0123499999","transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687","description":""}`

func sepayRequest(auth string) *http.Request {
	r := httptest.NewRequest("POST", "/v1/callbacks/sepay", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	casso := cassoBody(150000, "CP7K9Q2XT4 nộp lệ phí hồ sơ 12/2024 <A&B>")
	tests := []struct {
		name    string
		req     *http.Request
		body    []byte
		want    error
		txn     string
		account string
		amount  int64
		code    string
	}{
		{"casso", cassoRequest(t, cassoKey, now, casso), casso, nil, "casso:218897", "123456789", 150000, code},
		{"casso, no code in the content", cassoRequest(t, cassoKey, now, cassoBody(5000, "chuyen tien")), cassoBody(5000, "chuyen tien"), nil, "casso:218897", "123456789", 5000, ""},
		{"casso, wrong key", cassoRequest(t, "other", now, casso), casso, banks.ErrSignature, "", "", 0, ""},
		{"casso, replayed an hour later", cassoRequest(t, cassoKey, now.Add(-time.Hour), casso), casso, banks.ErrSignature, "", "", 0, ""},
		{"casso, outgoing", cassoRequest(t, cassoKey, now, cassoBody(-5000, "phi")), cassoBody(-5000, "phi"), banks.ErrNotPayment, "", "", 0, ""},
		{"sepay", sepayRequest("Apikey " + sepayKey), []byte(sepayDocs), nil, "sepay:92704", "0123499999", 2277000, code},
		{"sepay, wrong key", sepayRequest("Apikey nope"), []byte(sepayDocs), banks.ErrSignature, "", "", 0, ""},
		{"sepay, outgoing", sepayRequest("Apikey " + sepayKey), []byte(strings.Replace(sepayDocs, `"in"`, `"out"`, 1)), banks.ErrNotPayment, "", "", 0, ""},
		{"sepay, malformed", sepayRequest("Apikey " + sepayKey), []byte(`{"transferType":"in"}`), banks.ErrMalformed, "", "", 0, ""},
		{"no authentication", sepayRequest(""), []byte(sepayDocs), banks.ErrSignature, "", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb, err := adapter().ParseCallback(tt.req, tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				return
			}
			if cb.Provider != "vietqr" || cb.TxnID != tt.txn || cb.Account != tt.account || cb.PaymentCode != tt.code ||
				!cb.Amount.Equal(decimal.NewFromInt(tt.amount)) || !cb.Succeeded || cb.PaymentID != "" || cb.Livemode {
				t.Fatalf("callback = %+v", cb)
			}
		})
	}
}

func TestWriteReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply  banks.Reply
		status int
		body   string
	}{
		{banks.Reply{Outcome: banks.OutcomeSettled}, 200, `{"success":true}`},
		{banks.Reply{Outcome: banks.OutcomeException, Reason: "unknown_reference"}, 200, `{"success":true}`},
		{banks.Reply{Outcome: banks.OutcomeIgnored, Reason: banks.ReasonNotPayment}, 200, `{"success":true}`},
		{banks.Reply{Outcome: banks.OutcomeError}, 503, `{"success":false}`},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonSignature}, 401, `{"success":false}`},
		{banks.Reply{Outcome: banks.OutcomeRejected, Reason: banks.ReasonMalformed}, 400, `{"success":false}`},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		adapter().WriteReply(w, tt.reply)
		if w.Code != tt.status || w.Body.String() != tt.body {
			t.Errorf("%+v → %d %s", tt.reply, w.Code, w.Body)
		}
	}
}

type feedCatcher struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (c *feedCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs, c.body = append(c.reqs, r), append(c.body, b)
	c.mu.Unlock()
	_, _ = io.WriteString(w, bankfeed.Reply)
}

// TestSandboxRoundTrip: the code a payer scans comes back from each feed
// with the same account, amount and payment code.
func TestSandboxRoundTrip(t *testing.T) {
	t.Parallel()
	for _, feed := range []string{sandbox.FeedCasso, sandbox.FeedSePay} {
		t.Run(feed, func(t *testing.T) {
			t.Parallel()
			gw := &feedCatcher{}
			gwSrv := httptest.NewServer(gw)
			t.Cleanup(gwSrv.Close)
			sb := sandbox.New(sandbox.Config{Gateway: gwSrv.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			a := &banktransfer.Adapter{CassoKey: sandbox.CassoChecksumKey, SePayKey: sandbox.SePayAPIKey}
			issued, err := a.Issue(context.Background(), banks.Order{Amount: decimal.NewFromInt(135000), PaymentCode: code,
				Beneficiary: banks.Beneficiary{BIN: "970415", Account: "711101000001"}})
			if err != nil || vietqr.Verify(issued.QRPayload, vietqr.Payload{BIN: "970415", Account: "711101000001", Amount: "135000", Purpose: code}) != nil {
				t.Fatalf("Issue = %+v, %v", issued, err)
			}
			res, err := sb.Pay(sandbox.PayRequest{QRPayload: issued.QRPayload, Feed: feed})
			if err != nil || len(gw.reqs) != 1 || !strings.HasSuffix(gw.reqs[0].URL.Path, "/"+feed) {
				t.Fatalf("pay = %+v, %v", res, err)
			}
			cb, err := a.ParseCallback(gw.reqs[0], gw.body[0])
			if err != nil || cb.PaymentCode != code || cb.Account != "711101000001" || !cb.Amount.Equal(decimal.NewFromInt(135000)) ||
				cb.TxnID != res.TxnID || !strings.HasPrefix(cb.TxnID, feed+":") {
				t.Fatalf("callback = %+v, %v (pay %+v)", cb, err, res)
			}
		})
	}
}

func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(sepayDocs), "Apikey "+sepayKey, "")
	f.Add(cassoBody(150000, "CP7K9Q2XT4"), "", "t=1734912005000,v1=00")
	a := adapter()
	f.Fuzz(func(t *testing.T, body []byte, auth, cassoSig string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Casso-Signature", cassoSig)
		cb, err := a.ParseCallback(r, body)
		if err != nil {
			if !errors.Is(err, banks.ErrSignature) && !errors.Is(err, banks.ErrMalformed) && !errors.Is(err, banks.ErrNotPayment) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !strings.HasPrefix(cb.TxnID, "casso:") && !strings.HasPrefix(cb.TxnID, "sepay:") || cb.Account == "" ||
			!cb.Amount.IsPositive() || !cb.Amount.IsInteger() {
			t.Fatalf("accepted %+v", cb)
		}
	})
}
