package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/vietqr"
)

// Feeds that report a transfer.
const (
	FeedCasso = "casso"
	FeedSePay = "sepay"
)

func (s *Server) routesBank(mux *http.ServeMux) {
	mux.HandleFunc("GET /bank", s.bankPage)
	mux.HandleFunc("POST /bank/pay", s.bankPay)
}

// transfer is one credit to a receiving account, as a bank app makes it
// from a scanned VietQR code.
type transfer struct {
	id      int64
	account string
	amount  int64
	content string
	at      string
}

// payBank makes the transfer a VietQR payload asks for and has the feed
// report it. Each scan is a new transfer: a bank does not stop anyone
// from paying the same code twice, and the gateway must cope.
func (s *Server) payBank(payload, feed string) (PayResult, error) {
	p, err := vietqr.Parse(payload)
	if err != nil || p.Static || p.Amount == "" {
		return PayResult{}, fmt.Errorf("%w: a dynamic VietQR payload with an amount is needed", ErrBadPayload)
	}
	if feed == "" {
		feed = FeedCasso
	}
	if feed != FeedCasso && feed != FeedSePay {
		return PayResult{}, errors.New(`feed must be "casso" or "sepay"`)
	}
	amount, _ := strconv.ParseInt(p.Amount, 10, 64)
	t := transfer{id: s.nextTxn(), account: p.Account, amount: amount, at: s.now().In(bankfeed.ICT).Format("2006-01-02 15:04:05"),
		// Banks add their own words around the content; the gateway must still find the code.
		content: p.Purpose + " CT tu 0011223344 NGUYEN VAN AN"}
	f, _ := s.fault(VietQR)
	if f.WrongAmount {
		t.amount += 1000
	}
	s.mu.Lock()
	s.record(VietQR, feed+":"+strconv.FormatInt(t.id, 10), p.Purpose, t.amount, "success")
	s.book(feed, t)
	s.mu.Unlock()
	ns := []notice{s.feedNotice(feed, t, f)}
	if f.OutOfOrder {
		out := t
		out.id, out.amount, out.content = s.nextTxn(), -amount, "Phi dich vu" // an outgoing line the gateway must ignore
		s.mu.Lock()
		s.book(feed, out)
		s.mu.Unlock()
		ns = append(ns, s.feedNotice(feed, out, f))
	}
	return PayResult{Provider: VietQR, OrderID: p.Purpose, TxnID: feed + ":" + strconv.FormatInt(t.id, 10), Status: "paid",
		Callbacks: s.deliver(VietQR, ns)}, nil
}

func (s *Server) feedNotice(feed string, t transfer, f Fault) notice {
	if feed == FeedSePay {
		return s.sepayNotice(t, f)
	}
	return s.cassoNotice(t, f)
}

// cassoNotice is a Casso v2 webhook, signed with bankfeed.SignCasso.
func (s *Server) cassoNotice(t transfer, f Fault) notice {
	body, _ := json.Marshal(map[string]any{"error": 0, "data": map[string]any{
		"id": t.id, "reference": "FT" + strconv.FormatInt(t.id, 10), "description": t.content, "amount": t.amount,
		"runningBalance": 100000000 + t.amount, "transactionDateTime": t.at, "accountNumber": t.account,
		"bankName": "Ngân hàng TMCP Công Thương Việt Nam", "bankAbbreviation": "VietinBank",
		"virtualAccountNumber": "", "virtualAccountName": "", "counterAccountName": "NGUYEN VAN AN",
		"counterAccountNumber": "0011223344", "counterAccountBankId": "970422", "counterAccountBankName": "MB Bank",
	}})
	key := signingKey(CassoChecksumKey, f)
	sign := func(n notice) notice {
		sig, _ := bankfeed.SignCasso(key, n.body, s.now())
		n.header = jsonHeader()
		n.header.Set("X-Casso-Signature", sig)
		return n
	}
	return sign(notice{method: http.MethodPost, url: s.gatewayURL() + CallbackPrefix + "casso", body: body, sender: FeedCasso, resign: sign})
}

// sepayNotice is a SePay webhook with API-key authentication.
func (s *Server) sepayNotice(t transfer, f Fault) notice {
	kind, amount := "in", t.amount
	if amount < 0 {
		kind, amount = "out", -amount
	}
	body, _ := json.Marshal(map[string]any{
		"id": t.id, "gateway": "VietinBank", "transactionDate": t.at, "accountNumber": t.account,
		"code": nil, "content": t.content, "transferType": kind, "transferAmount": amount,
		"accumulated": 100000000 + t.amount, "subAccount": nil, "referenceCode": "FT" + strconv.FormatInt(t.id, 10),
		"description": "BankAPINotify " + t.content,
	})
	h := jsonHeader()
	h.Set("Authorization", "Apikey "+signingKey(SePayAPIKey, f))
	return notice{method: http.MethodPost, url: s.gatewayURL() + CallbackPrefix + "sepay", header: h, body: body, sender: FeedSePay}
}

// bankPay is the bank page's form: paste a VietQR payload, pick a feed.
func (s *Server) bankPay(w http.ResponseWriter, r *http.Request) {
	res, err := s.payBank(r.FormValue("qr_payload"), r.FormValue("feed"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.renderResult(w, res)
}
