package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civicpay/civicpay/banks/vnpay"
)

func (s *Server) routesVNPay(mux *http.ServeMux) {
	mux.HandleFunc("GET "+VNPayPayPath, s.vnpayPayPage)
	mux.HandleFunc("POST "+VNPayAPIPath, s.api(VNPay, s.vnpayAPI))
	mux.HandleFunc("GET /vnpay/pay/{id}", s.checkout(VNPay))
	mux.HandleFunc("POST /vnpay/pay/{id}", s.checkoutPay(VNPay))
}

// vnpayPayPage is where the payer's browser lands: VNPAY checks the
// merchant's hash before showing anything.
func (s *Server) vnpayPayPage(w http.ResponseWriter, r *http.Request) {
	id, err := s.vnpayRegister(r.URL.Query())
	if err != nil {
		http.Error(w, "VNPAY sandbox: "+err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/vnpay/pay/"+url.PathEscape(id), http.StatusSeeOther)
}

var errVNPayHash = errors.New("vnp_SecureHash does not match (code 97)")

// vnpayRegister verifies a signed pay URL and records its order. VNPAY has
// no create call: the order exists from the moment the payer opens the URL.
func (s *Server) vnpayRegister(q url.Values) (string, error) {
	if !vnpay.VerifyParams(VNPayHashSecret, q) || q.Get("vnp_TmnCode") != VNPayTmnCode {
		return "", errVNPayHash
	}
	if q.Get("vnp_Version") != vnpay.Version || q.Get("vnp_Command") != "pay" || q.Get("vnp_CurrCode") != "VND" {
		return "", errors.New("not a v2.1.0 pay request in VND")
	}
	amount, err := strconv.ParseInt(q.Get("vnp_Amount"), 10, 64)
	if err != nil || amount <= 0 || amount%100 != 0 {
		return "", errors.New("vnp_Amount must be whole đồng ×100")
	}
	if exp, err := vnpay.ParseTime(q.Get("vnp_ExpireDate")); err != nil || s.now().After(exp) {
		return "", errors.New("the payment URL has expired (code 11)")
	}
	id := q.Get("vnp_TxnRef")
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[key(VNPay, id)]; o != nil {
		if o.amount != amount/100 {
			return "", errors.New("vnp_TxnRef reused with another amount")
		}
		return id, nil
	}
	s.orders[key(VNPay, id)] = &order{
		provider: VNPay, id: id, amount: amount / 100, info: q.Get("vnp_OrderInfo"), redirect: q.Get("vnp_ReturnUrl"),
		created: s.now(), createDate: q.Get("vnp_CreateDate"), status: "pending", creates: 1,
	}
	return id, nil
}

// vnpayAPI is the merchant web API; only querydr is simulated (VNPAY
// restricts refunds in its sandbox too).
func (s *Server) vnpayAPI(w http.ResponseWriter, r *http.Request) {
	var q vnpay.QueryRequest
	if !decode(w, r, &q) {
		s.vnpayAnswer(w, map[string]string{"vnp_ResponseCode": "03", "vnp_Message": "Invalid data format"})
		return
	}
	if q.Command != "querydr" {
		s.vnpayAnswer(w, map[string]string{"vnp_ResponseCode": "99", "vnp_Message": "Only querydr is simulated"})
		return
	}
	if q.TmnCode != VNPayTmnCode || !q.Verify(VNPayHashSecret) {
		s.vnpayAnswer(w, map[string]string{"vnp_ResponseCode": "97", "vnp_Message": "Invalid Checksum"})
		return
	}
	s.vnpayAnswer(w, s.vnpayQuery(q))
}

// vnpayQuery finds the order; the transaction date must be the order's
// vnp_CreateDate, as VNPAY requires.
func (s *Server) vnpayQuery(q vnpay.QueryRequest) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key(VNPay, q.TxnRef)]
	if o == nil || o.createDate != q.TransactionDate {
		return map[string]string{"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found", "vnp_TxnRef": q.TxnRef}
	}
	f := map[string]string{
		"vnp_ResponseCode": "00", "vnp_Message": "QueryDR Success", "vnp_TxnRef": o.id,
		"vnp_Amount": strconv.FormatInt(o.amount*100, 10), "vnp_OrderInfo": o.info, "vnp_BankCode": "NCB",
		"vnp_TransactionType": "01", "vnp_TransactionStatus": vnpayStatus(o.status),
	}
	if o.txnID != 0 {
		f["vnp_TransactionNo"] = strconv.FormatInt(o.txnID, 10)
		f["vnp_PayDate"] = vnpay.FormatTime(o.created)
	}
	return f
}

func vnpayStatus(status string) string {
	switch status {
	case "paid":
		return "00"
	case "failed":
		return "02"
	}
	return "01"
}

// vnpayAnswer signs and writes a merchant-API answer.
func (s *Server) vnpayAnswer(w http.ResponseWriter, f map[string]string) {
	f["vnp_ResponseId"] = strconv.FormatInt(s.nextTxn(), 36)
	f["vnp_Command"] = "querydr"
	f["vnp_TmnCode"] = VNPayTmnCode
	vnpay.SignQueryResponse(VNPayHashSecret, f)
	writeJSON(w, http.StatusOK, f)
}

// vnpayNotices is the IPN of a completed order — a GET to the IPN URL the
// merchant registered with VNPAY, here the gateway's — plus, when out of
// order, a stale "customer cancelled" IPN after the success.
func (s *Server) vnpayNotices(o order, f Fault) []notice {
	ipn := func(code, status, txn string) notice {
		v := url.Values{
			"vnp_Amount": {strconv.FormatInt(callbackAmount(o, f)*100, 10)}, "vnp_BankCode": {"NCB"},
			"vnp_CardType": {"ATM"}, "vnp_OrderInfo": {o.info}, "vnp_PayDate": {vnpay.FormatTime(s.now())},
			"vnp_ResponseCode": {code}, "vnp_TmnCode": {VNPayTmnCode}, "vnp_TransactionNo": {txn},
			"vnp_TransactionStatus": {status}, "vnp_TxnRef": {o.id},
		}
		if txn != "0" {
			v.Set("vnp_BankTranNo", "VNP"+txn)
		}
		raw := v.Encode() + "&vnp_SecureHash=" + vnpay.SignParams(signingKey(VNPayHashSecret, f), v)
		return notice{method: http.MethodGet, url: s.gatewayURL() + CallbackPrefix + VNPay + "?" + raw, sender: VNPay}
	}
	if o.status != "paid" {
		return []notice{ipn("24", "02", "0")} // the customer cancelled: VNPAY has no transaction number
	}
	ns := []notice{ipn("00", "00", strconv.FormatInt(o.txnID, 10))}
	if f.OutOfOrder {
		ns = append(ns, ipn("24", "02", "0"))
	}
	return ns
}

// vnpayReturn is where the browser goes back to after paying.
func vnpayReturn(o order, callbacks []notice) string {
	if o.redirect == "" || len(callbacks) == 0 {
		return ""
	}
	_, query, _ := strings.Cut(callbacks[0].url, "?")
	return o.redirect + "?" + query
}
