package api_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/momo"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/zalopay"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// A callback with a repeated key is refused and nothing is recorded, even
// when its signature verifies for the value encoding/json would keep (the
// last): the signed text and the decoded value must not disagree.
func TestCallbacksWithRepeatedKeysAreRefused(t *testing.T) {
	t.Parallel()
	g, _ := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	now := time.Now()
	ms := strconv.FormatInt(now.UnixMilli(), 10)

	momoSigned := func(txn int64) string {
		return string(momo.IPNBody{PartnerCode: sandbox.MoMoPartnerCode, OrderID: "CP-DUP-1", RequestID: "CP-DUP-1",
			Amount: 135000, OrderInfo: "x", OrderType: "momo_wallet", TransID: txn, ResultCode: 0, Message: "ok",
			PayType: "qr", ResponseTime: now.UnixMilli()}.Sign(sandbox.MoMoAccessKey, sandbox.MoMoSecretKey))
	}

	zaloData := `{"app_id":` + strconv.Itoa(sandbox.ZaloPayAppID) + `,"app_trans_id":"261204_dup","app_time":` + ms +
		`,"app_user":"u","amount":135000,"embed_data":"{}","item":"[]","zp_trans_id":777,"server_time":` + ms +
		`,"channel":38,"merchant_user_id":"p","user_fee_amount":0,"discount_amount":0}`
	zaloMAC := zalopay.SignCallback(sandbox.ZaloPayKey2, zaloData)

	cassoClean := `{"error":0,"data":{"id":9191,"reference":"FT9191","description":"CPDUP","amount":135000,` +
		`"transactionDateTime":"` + now.In(bankfeed.ICT).Format("2006-01-02 15:04:05") + `","accountNumber":"113366668888"}}`
	cassoSig, err := bankfeed.SignCasso(sandbox.CassoChecksumKey, []byte(cassoClean), now)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, provider, body string
		header               [2]string
	}{
		{"momo amount", "momo", `{"amount":1,` + momoSigned(4242)[1:], [2]string{}},
		{"momo amount by case", "momo", `{"Amount":1,` + momoSigned(4243)[1:], [2]string{}},
		{"zalopay data", "zalopay", `{"data":"{}","data":` + strconv.Quote(zaloData) + `,"mac":"` + zaloMAC + `","type":1}`, [2]string{}},
		{"casso amount", "casso", strings.Replace(cassoClean, `"amount":135000`, `"amount":1,"amount":135000`, 1),
			[2]string{"X-Casso-Signature", cassoSig}},
		{"sepay amount", "sepay", `{"id":5151,"transactionDate":"2026-12-04 10:00:00","accountNumber":"113366668888",` +
			`"content":"CPDUP","transferType":"in","transferAmount":1,"transferAmount":135000,"referenceCode":"FT5151"}`,
			[2]string{"Authorization", "Apikey " + sandbox.SePayAPIKey}},
	}
	for _, tc := range cases {
		before := g.Count(t, `SELECT count(*) FROM provider_callbacks`)
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/callbacks/"+tc.provider, bytes.NewReader([]byte(tc.body)))
		req.Header.Set("Content-Type", "application/json")
		if tc.header[0] != "" {
			req.Header.Set(tc.header[0], tc.header[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// ZaloPay's dialect answers 200 with return_code -1 ("invalid data").
		refused := res.StatusCode >= 400 || bytes.Contains(reply, []byte(`"return_code":-1`))
		if n := g.Count(t, `SELECT count(*) FROM provider_callbacks`) - before; n != 0 || !refused {
			t.Errorf("%s: answered %d and recorded %d callbacks, want a refusal and none", tc.name, res.StatusCode, n)
		}
	}
}
