package sandbox_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/momo"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/zalopay"
)

// gateway is a stand-in for the gateway's callback endpoints.
func gateway(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func start(t *testing.T) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Gateway: gateway(t).URL, ReportDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// momoCreate posts a signed create for orderID and returns MoMo's answer.
func momoCreate(t *testing.T, sb *sandbox.Server, orderID string, sign func(*momo.CreateRequest)) momo.CreateResponse {
	t.Helper()
	req := momo.CreateRequest{PartnerCode: sandbox.MoMoPartnerCode, RequestID: orderID, Amount: 135000, OrderID: orderID,
		OrderInfo: "CP7K9Q2XT4", RedirectURL: "https://portal.example/back", IpnURL: gateway(t).URL, Lang: "vi"}
	sign(&req)
	body, _ := json.Marshal(req)
	_, out := call(t, "POST", sb.URL()+"/momo/v2/gateway/api/create", string(body))
	var res momo.CreateResponse
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return res
}

func TestSandboxChecksGatewaySignatures(t *testing.T) {
	t.Parallel()
	sb := start(t)
	good := momoCreate(t, sb, "pay_AAAAAAAAAAAAAAAAAAAAAAAA-1", func(r *momo.CreateRequest) { r.Sign(sandbox.MoMoAccessKey, sandbox.MoMoSecretKey) })
	bad := momoCreate(t, sb, "pay_AAAAAAAAAAAAAAAAAAAAAAAA-2", func(r *momo.CreateRequest) { r.Sign(sandbox.MoMoAccessKey, "guess") })
	if good.ResultCode != momo.Success || !strings.HasPrefix(good.PayURL, sb.URL()) || bad.ResultCode != momo.AuthFailed {
		t.Fatalf("good %+v, bad %+v", good, bad)
	}
	// ZaloPay with a key2 MAC instead of key1.
	o := zalopay.CreateOrder{AppID: sandbox.ZaloPayAppID, AppUser: "civicpay", AppTransID: zalopay.TransID(time.Now(), "pay_x-1"),
		AppTime: time.Now().UnixMilli(), Amount: 5000}
	o.Sign(sandbox.ZaloPayKey2)
	form := url.Values{"app_id": {"2553"}, "app_user": {o.AppUser}, "app_trans_id": {o.AppTransID}, "app_time": {strconv.FormatInt(o.AppTime, 10)},
		"amount": {"5000"}, "embed_data": {o.EmbedData}, "item": {o.Item}, "mac": {o.MAC}}
	res, err := http.PostForm(sb.URL()+"/zalopay/v2/create", form)
	if err != nil {
		t.Fatal(err)
	}
	var zr zalopay.CreateResponse
	_ = json.NewDecoder(res.Body).Decode(&zr)
	res.Body.Close()
	if zr.ReturnCode != 2 || zr.SubReturnCode != -402 {
		t.Fatalf("ZaloPay with a key2 MAC = %+v", zr)
	}
	// VNPAY: a tampered pay URL is refused at the payment page.
	if code, _ := call(t, "GET", sb.URL()+"/vnpay/paymentv2/vpcpay.html?vnp_Amount=100&vnp_TxnRef=1&vnp_SecureHash=00", ""); code != 400 {
		t.Fatalf("tampered VNPAY URL = %d", code)
	}
	if len(sb.Orders("")) != 1 {
		t.Fatalf("orders = %+v: only the signed create may make one", sb.Orders(""))
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	sb := start(t)
	tests := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"PUT", "/control/faults/momo", `{"mode":"slow","delay":"20ms","duplicates":1}`, 200, `"delay":"20ms"`},
		{"GET", "/control/faults", "", 200, `"momo":{"mode":"slow"`},
		{"PUT", "/control/faults/momo", `{"mode":"sideways"}`, 400, "mode must be"},
		{"PUT", "/control/faults/momo", `{"mode":"slow"}`, 400, "slow needs a delay"},
		{"PUT", "/control/faults/paypal", `{"mode":"down"}`, 400, "unknown provider"},
		{"PUT", "/control/faults/momo", `{"mood":"down"}`, 400, "mood: unknown_field"},
		{"DELETE", "/control/faults/momo", "", 204, ""},
		{"GET", "/control/faults", "", 200, "{}"},
		{"POST", "/control/pay", `{"provider":"momo","order_id":"nope"}`, 404, "no such order"},
		{"POST", "/control/pay", `{"qr_payload":"000201garbage"}`, 400, "dynamic VietQR"},
		{"POST", "/control/pay", `{"qr_payload":"https://elsewhere.example/x"}`, 400, "not a payload"},
		{"GET", "/control/report?date=yesterday", "", 400, "YYYY-MM-DD"},
		{"POST", "/control/reset", "", 204, ""},
	}
	for _, tt := range tests {
		code, body := call(t, tt.method, sb.URL()+tt.path, tt.body)
		if code != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("%s %s = %d %s", tt.method, tt.path, code, body)
		}
	}
}

func TestAPIFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   sandbox.Fault
		status  int // 0: no HTTP answer at all
		atLeast time.Duration
	}{
		{"down drops the connection", sandbox.Fault{Mode: sandbox.ModeDown}, 0, 0},
		{"unavailable", sandbox.Fault{Mode: sandbox.ModeUnavailable}, 503, 0},
		{"error", sandbox.Fault{Mode: sandbox.ModeError}, 500, 0},
		{"slow", sandbox.Fault{Mode: sandbox.ModeSlow, Delay: sandbox.Duration(150 * time.Millisecond)}, 200, 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := start(t)
			if err := sb.SetFault("zalopay", tt.fault); err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			res, err := http.PostForm(sb.URL()+"/zalopay/v2/query", url.Values{})
			if tt.status == 0 {
				if err == nil {
					res.Body.Close()
					t.Fatalf("got %d, want a dropped connection", res.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status || time.Since(begin) < tt.atLeast {
				t.Fatalf("status %d after %s", res.StatusCode, time.Since(begin))
			}
		})
	}
}

func TestHangEndsWhenCleared(t *testing.T) {
	t.Parallel()
	sb := start(t)
	if err := sb.SetFault("vnpay", sandbox.Fault{Mode: sandbox.ModeHang}); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		res, err := http.Post(sb.URL()+"/vnpay/merchant_webapi/api/transaction", "application/json", strings.NewReader("{}"))
		if err != nil {
			done <- -1
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	select {
	case <-done:
		t.Fatal("a hanging provider answered")
	case <-time.After(200 * time.Millisecond):
	}
	if err := sb.SetFault("vnpay", sandbox.Fault{}); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 200 {
		t.Fatalf("after clearing the hang: %d", code)
	}
	// A hanging call also ends when its caller gives up.
	_ = sb.SetFault("vnpay", sandbox.Fault{Mode: sandbox.ModeHang})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", sb.URL()+"/vnpay/merchant_webapi/api/transaction", strings.NewReader("{}"))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestCallsLimitsTheFault(t *testing.T) {
	t.Parallel()
	sb := start(t)
	if err := sb.SetFault("zalopay", sandbox.Fault{Mode: sandbox.ModeError, Calls: 2, Duplicates: 1}); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for range 3 {
		res, err := http.PostForm(sb.URL()+"/zalopay/v2/query", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
	}
	if codes[0] != 500 || codes[1] != 500 || codes[2] != 200 {
		t.Fatalf("codes = %v, want two faults then normal", codes)
	}
	_, body := call(t, "GET", sb.URL()+"/control/faults", "")
	if !strings.Contains(body, `"zalopay":{"duplicates":1}`) {
		t.Fatalf("callback faults must outlive the API fault: %s", body)
	}
}

// TestCheckoutPageAndReport pays through the page, as a person would, and
// finds the payment in the day's report.
func TestCheckoutPageAndReport(t *testing.T) {
	t.Parallel()
	sb := start(t)
	order := momoCreate(t, sb, "pay_BBBBBBBBBBBBBBBBBBBBBBBB-1", func(r *momo.CreateRequest) { r.Sign(sandbox.MoMoAccessKey, sandbox.MoMoSecretKey) })
	code, page := call(t, "GET", order.PayURL, "")
	if code != 200 || !strings.Contains(page, "135.000 ₫") || !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, `value="pay"`) {
		t.Fatalf("checkout page = %d %s", code, page)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(order.PayURL, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://portal.example/back" {
		t.Fatalf("pay = %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := sb.Pay(sandbox.PayRequest{QRPayload: order.PayURL}); !errors.Is(err, sandbox.ErrNotPending) {
		t.Fatalf("paying twice = %v", err)
	}
	_, report := call(t, "GET", sb.URL()+"/control/report", "")
	rows, err := csv.NewReader(strings.NewReader(report)).ReadAll()
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != "provider,txn_id,order_id,amount,status,time" {
		t.Fatalf("report = %q, %v", report, err)
	}
	if r := rows[1]; r[0] != "momo" || r[2] != "pay_BBBBBBBBBBBBBBBBBBBBBBBB-1" || r[3] != "135000" || r[4] != "success" {
		t.Fatalf("report line = %v", r)
	}
	_, written := call(t, "POST", sb.URL()+"/control/report", "")
	var out struct{ Path string }
	_ = json.Unmarshal([]byte(written), &out)
	file, err := os.ReadFile(out.Path)
	if err != nil || !bytes.Equal(file, []byte(report)) {
		t.Fatalf("report file %q: %v", out.Path, err)
	}
}

func FuzzPay(f *testing.F) {
	f.Add("00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6", "casso")
	f.Add("http://127.0.0.1/vnpay/paymentv2/vpcpay.html?vnp_Amount=1", "")
	f.Add("http://127.0.0.1/momo/pay/x", "sepay")
	sb := sandbox.New(sandbox.Config{Gateway: "http://127.0.0.1:1", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, payload, feed string) {
		res, err := sb.Pay(sandbox.PayRequest{QRPayload: payload, Feed: feed})
		if err == nil && res.Provider != sandbox.VietQR {
			t.Fatalf("paid an order nobody created: %+v", res)
		}
	})
}

// Refund faults take only answers that say nothing final about a refund;
// a final code there would make a test's "ambiguous" case a real failure.
func TestRefundFaultsAreValidated(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Config{})
	for _, c := range []struct {
		fault sandbox.Fault
		ok    bool
	}{
		{sandbox.Fault{RefundAnswer: 7000}, true},
		{sandbox.Fault{RefundAnswer: 41, RefundProcessing: 3}, true},
		{sandbox.Fault{RefundDecline: true}, true},
		{sandbox.Fault{RefundAnswer: 1080}, false},
		{sandbox.Fault{RefundAnswer: 0, RefundProcessing: -1}, false},
		{sandbox.Fault{RefundProcessing: 101}, false},
	} {
		if err := sb.SetFault("momo", c.fault); (err == nil) != c.ok {
			t.Errorf("SetFault(%+v) = %v, want ok %v", c.fault, err, c.ok)
		}
	}
}
