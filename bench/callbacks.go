package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/momo"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/banks/vnpay"
	"github.com/civicpay/civicpay/banks/zalopay"
)

// fixture is a pre-created open payment a callback can settle.
type fixture struct {
	ID, Code, Token string
	Amount          int64
}

// callbacks makes the provider notifications that settle fixtures, signed
// with the sandbox credentials exactly as each provider signs them, in
// turn: a bank transfer reported by Casso, MoMo, ZaloPay, VNPAY, a bank
// transfer reported by SePay, MoMo, … One in dupEvery is a repeat of an
// earlier callback (providers retry), which must settle nothing.
type callbacks struct {
	gateway  string
	account  string // the agency account bank transfers land in
	dupEvery int64

	mu       sync.Mutex
	next     int // index into pool
	pool     []fixture
	seq      int64 // callbacks made
	txnBase  int64
	recent   []vegeta.Target // for repeats
	sent     map[string]int64
	repeated int64
}

func newCallbacks(gateway, account string, dupEvery int64) *callbacks {
	return &callbacks{gateway: gateway, account: account, dupEvery: dupEvery,
		txnBase: time.Now().UnixMilli() * 1000, sent: map[string]int64{}}
}

// add makes more payments available.
func (c *callbacks) add(f []fixture) {
	c.mu.Lock()
	c.pool = append(c.pool, f...)
	c.mu.Unlock()
}

// left is how many payments have no callback yet.
func (c *callbacks) left() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pool) - c.next
}

// counts reports the callbacks made per provider and the repeats.
func (c *callbacks) counts() (map[string]int64, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int64, len(c.sent))
	for k, v := range c.sent {
		m[k] = v
	}
	return m, c.repeated
}

// targeter is a vegeta.Targeter over the callbacks; it runs dry when every
// payment has had its callback.
func (c *callbacks) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		c.mu.Lock()
		c.seq++
		if c.dupEvery > 0 && c.seq%c.dupEvery == 0 && len(c.recent) > 0 {
			*t = c.recent[int(c.seq/c.dupEvery)%len(c.recent)]
			c.repeated++
			c.mu.Unlock()
			return nil
		}
		if c.next >= len(c.pool) {
			c.mu.Unlock()
			return errNoTargets
		}
		f := c.pool[c.next]
		c.next++
		n := c.seq
		c.mu.Unlock()

		tgt, provider, err := c.make(f, n)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.sent[provider]++
		if len(c.recent) < 256 {
			c.recent = append(c.recent, tgt)
		} else {
			c.recent[n%256] = tgt
		}
		c.mu.Unlock()
		*t = tgt
		return nil
	}
}

// make signs the n-th callback, for payment f, with the fields the sandbox
// providers (banks/sandbox) send.
func (c *callbacks) make(f fixture, n int64) (vegeta.Target, string, error) {
	now := time.Now()
	txn := c.txnBase + n
	order := banks.OrderID(f.ID, 1)
	switch n % 5 {
	case 0, 4: // a bank transfer, reported by Casso or SePay
		return c.bankFeed(f, txn, now, n%5 == 0)
	case 1:
		body := momo.IPNBody{
			PartnerCode: sandbox.MoMoPartnerCode, OrderID: order, RequestID: "req" + strconv.FormatInt(txn, 10),
			Amount: f.Amount, OrderInfo: "Thanh toan " + f.Code, OrderType: "momo_wallet", TransID: txn,
			ResultCode: 0, Message: "Successful.", PayType: "qr", ResponseTime: now.UnixMilli(),
		}.Sign(sandbox.MoMoAccessKey, sandbox.MoMoSecretKey)
		return c.post(sandbox.MoMo, body, nil), sandbox.MoMo, nil
	case 2:
		data, err := json.Marshal(map[string]any{
			"app_id": sandbox.ZaloPayAppID, "app_trans_id": zalopay.TransID(now, order), "app_time": now.UnixMilli(),
			"app_user": "civicpay", "amount": f.Amount, "embed_data": "{}", "item": "[]", "zp_trans_id": txn,
			"server_time": now.UnixMilli(), "channel": 38, "merchant_user_id": "sandbox-payer", "user_fee_amount": 0, "discount_amount": 0,
		})
		if err != nil {
			return vegeta.Target{}, "", err
		}
		body, err := json.Marshal(map[string]any{"data": string(data), "mac": zalopay.SignCallback(sandbox.ZaloPayKey2, string(data)), "type": zalopay.TypeOrder})
		return c.post(sandbox.ZaloPay, body, nil), sandbox.ZaloPay, err
	default: // VNPAY sends its IPN as a GET query string
		q := url.Values{
			"vnp_Amount": {strconv.FormatInt(f.Amount*100, 10)}, "vnp_BankCode": {"NCB"}, "vnp_BankTranNo": {"VNP" + strconv.FormatInt(txn, 10)},
			"vnp_CardType": {"ATM"}, "vnp_OrderInfo": {"Thanh toan " + f.Code}, "vnp_PayDate": {vnpay.FormatTime(now)},
			"vnp_ResponseCode": {"00"}, "vnp_TmnCode": {sandbox.VNPayTmnCode}, "vnp_TransactionNo": {strconv.FormatInt(txn, 10)},
			"vnp_TransactionStatus": {"00"}, "vnp_TxnRef": {order},
		}
		q.Set("vnp_SecureHash", vnpay.SignParams(sandbox.VNPayHashSecret, q))
		return vegeta.Target{Method: http.MethodGet, URL: c.gateway + sandbox.CallbackPrefix + sandbox.VNPay + "?" + q.Encode()}, sandbox.VNPay, nil
	}
}

// bankFeed is a transfer into the agency's account as the sandbox bank's
// feeds report it (banks/sandbox/bank.go): Casso v2 signed with its
// checksum key, or SePay with its API key, each at its own callback URL.
func (c *callbacks) bankFeed(f fixture, txn int64, now time.Time, casso bool) (vegeta.Target, string, error) {
	content := f.Code + " CT tu 0011223344 NGUYEN VAN AN"
	at := now.In(bankfeed.ICT).Format("2006-01-02 15:04:05")
	if casso {
		body, err := json.Marshal(map[string]any{"error": 0, "data": map[string]any{
			"id": txn, "reference": "FT" + strconv.FormatInt(txn, 10), "description": content, "amount": f.Amount,
			"runningBalance": 100000000 + f.Amount, "transactionDateTime": at, "accountNumber": c.account,
			"bankName": "Ngân hàng TMCP Công Thương Việt Nam", "bankAbbreviation": "VietinBank",
			"virtualAccountNumber": "", "virtualAccountName": "", "counterAccountName": "NGUYEN VAN AN",
			"counterAccountNumber": "0011223344", "counterAccountBankId": "970422", "counterAccountBankName": "MB Bank",
		}})
		if err != nil {
			return vegeta.Target{}, "", err
		}
		sig, err := bankfeed.SignCasso(sandbox.CassoChecksumKey, body, now)
		if err != nil {
			return vegeta.Target{}, "", err
		}
		return c.post("casso", body, http.Header{"X-Casso-Signature": {sig}}), sandbox.VietQR, nil
	}
	body, err := json.Marshal(map[string]any{
		"id": txn, "gateway": "VietinBank", "transactionDate": at, "accountNumber": c.account,
		"code": nil, "content": content, "transferType": "in", "transferAmount": f.Amount,
		"accumulated": 100000000 + f.Amount, "subAccount": nil, "referenceCode": "FT" + strconv.FormatInt(txn, 10),
		"description": "BankAPINotify " + content,
	})
	if err != nil {
		return vegeta.Target{}, "", err
	}
	return c.post("sepay", body, http.Header{"Authorization": {"Apikey " + sandbox.SePayAPIKey}}), sandbox.VietQR, nil
}

// post is a JSON callback to the gateway's URL for path (a provider or a
// bank feed).
func (c *callbacks) post(path string, body []byte, h http.Header) vegeta.Target {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	return vegeta.Target{Method: http.MethodPost, URL: c.gateway + sandbox.CallbackPrefix + path, Body: body, Header: h}
}

// callbackOK accepts each provider's "recorded" answer: MoMo's 204, a 200
// from the others whose body does not ask for a retry.
func callbackOK(r *vegeta.Result) string {
	if r.Error != "" && r.Code == 0 {
		return r.Error
	}
	switch r.Code {
	case http.StatusNoContent, http.StatusOK:
	default:
		return fmt.Sprintf("HTTP %d %.120s", r.Code, r.Body)
	}
	// ZaloPay's retry answer is return_code 0; VNPAY's failure codes 97/99;
	// the bank feeds' {"success":false}.
	for _, bad := range [][]byte{[]byte(`"return_code":0`), []byte(`"return_code":-1`), []byte(`"RspCode":"97"`), []byte(`"RspCode":"99"`), []byte(`"success":false`)} {
		if bytes.Contains(r.Body, bad) {
			return fmt.Sprintf("HTTP %d %.120s", r.Code, r.Body)
		}
	}
	return ""
}
