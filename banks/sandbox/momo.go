package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/civicpay/civicpay/banks/momo"
)

func (s *Server) routesMoMo(mux *http.ServeMux) {
	mux.HandleFunc("POST "+MoMoPath+"/v2/gateway/api/create", s.api(MoMo, s.momoCreate))
	mux.HandleFunc("POST "+MoMoPath+"/v2/gateway/api/query", s.api(MoMo, s.momoQuery))
	mux.HandleFunc("POST "+MoMoPath+"/v2/gateway/api/refund", s.api(MoMo, s.momoRefund))
	mux.HandleFunc("GET "+MoMoPath+"/pay/{id}", s.checkout(MoMo))
	mux.HandleFunc("POST "+MoMoPath+"/pay/{id}", s.checkoutPay(MoMo))
}

// momoAnswer is the head every MoMo answer carries.
type momoAnswer struct {
	PartnerCode  string          `json:"partnerCode"`
	RequestID    string          `json:"requestId"`
	OrderID      string          `json:"orderId"`
	ResultCode   momo.ResultCode `json:"resultCode"`
	Message      string          `json:"message"`
	ResponseTime int64           `json:"responseTime"`
}

func (s *Server) momoRefuse(w http.ResponseWriter, status int, code momo.ResultCode, msg string) {
	writeJSON(w, status, momoAnswer{PartnerCode: MoMoPartnerCode, ResultCode: code, Message: msg, ResponseTime: s.now().UnixMilli()})
}

// momoCreate is /v2/gateway/api/create. MoMo is idempotent on requestId:
// a repeated request gets the first answer, never a second order.
func (s *Server) momoCreate(w http.ResponseWriter, r *http.Request) {
	var req momo.CreateRequest
	if !decode(w, r, &req) {
		s.momoRefuse(w, http.StatusBadRequest, momo.BadFormat, "Bad format request.")
		return
	}
	if req.PartnerCode != MoMoPartnerCode || !req.Verify(MoMoAccessKey, MoMoSecretKey) {
		s.momoRefuse(w, http.StatusBadRequest, momo.AuthFailed, "Merchant authentication failed: wrong signature.")
		return
	}
	if err := req.Validate(); err != nil {
		s.momoRefuse(w, http.StatusBadRequest, momo.BadFormat, err.Error())
		return
	}
	reply, dup := s.momoOrder(req)
	if dup {
		s.momoRefuse(w, http.StatusConflict, momo.DuplicateOrderID, "Duplicated orderId.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(reply)
}

// momoOrder records the order, or finds it again for a repeated request.
func (s *Server) momoOrder(req momo.CreateRequest) (reply []byte, duplicate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[key(MoMo, req.OrderID)]; o != nil {
		o.creates++
		return o.reply, o.requestID != req.RequestID
	}
	pay := s.URL() + MoMoPath + "/pay/" + url.PathEscape(req.OrderID)
	res := momo.CreateResponse{
		PartnerCode: req.PartnerCode, RequestID: req.RequestID, OrderID: req.OrderID, Amount: req.Amount,
		ResponseTime: s.now().UnixMilli(), Message: "Thành công.", ResultCode: momo.Success, PayURL: pay,
		Deeplink:  "momo://app?action=payWithApp&isScanQR=false&serviceType=app&sid=" + url.QueryEscape(req.OrderID),
		QRCodeURL: pay,
	}
	reply, _ = json.Marshal(res)
	s.orders[key(MoMo, req.OrderID)] = &order{
		provider: MoMo, id: req.OrderID, amount: req.Amount, info: req.OrderInfo, notify: req.IpnURL,
		redirect: req.RedirectURL, created: s.now(), requestID: req.RequestID, reply: reply, status: "pending", creates: 1,
	}
	return reply, false
}

// momoQuery is /v2/gateway/api/query.
func (s *Server) momoQuery(w http.ResponseWriter, r *http.Request) {
	var req momo.QueryRequest
	if !decode(w, r, &req) {
		s.momoRefuse(w, http.StatusBadRequest, momo.BadFormat, "Bad format request.")
		return
	}
	if req.PartnerCode != MoMoPartnerCode || !req.Verify(MoMoAccessKey, MoMoSecretKey) {
		s.momoRefuse(w, http.StatusBadRequest, momo.AuthFailed, "Merchant authentication failed: wrong signature.")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[key(MoMo, req.OrderID)]
	var res momo.QueryResponse
	if ok {
		res = momo.QueryResponse{Amount: o.amount, TransID: o.txnID, PayType: "qr"}
		res.ResultCode, res.Message = momoStatus(o.status)
	} else if rf := s.refunds[req.OrderID]; rf != nil {
		ok, res = true, s.momoRefundStatus(rf)
	}
	s.mu.Unlock()
	if !ok {
		res.ResultCode, res.Message = 42, "Order not found."
	}
	res.PartnerCode, res.RequestID, res.OrderID, res.ResponseTime = MoMoPartnerCode, req.RequestID, req.OrderID, s.now().UnixMilli()
	writeJSON(w, http.StatusOK, res)
}

func momoStatus(status string) (momo.ResultCode, string) {
	switch status {
	case "paid":
		return momo.Success, "Thành công."
	case "failed":
		return momo.DeniedByUser, "Giao dịch bị từ chối bởi người dùng."
	}
	return momo.Initiated, "Giao dịch đã được khởi tạo, chờ người dùng xác nhận thanh toán."
}

// momoNotices are the IPNs of a completed order, faults applied.
func (s *Server) momoNotices(o order, f Fault) []notice {
	code, msg := momoStatus(o.status)
	ipn := func(transID int64, code momo.ResultCode, msg string) notice {
		body := momo.IPNBody{
			PartnerCode: MoMoPartnerCode, OrderID: o.id, RequestID: o.requestID, Amount: callbackAmount(o, f),
			OrderInfo: o.info, OrderType: "momo_wallet", TransID: transID, ResultCode: code, Message: msg,
			PayType: "qr", ResponseTime: s.now().UnixMilli(),
		}.Sign(MoMoAccessKey, signingKey(MoMoSecretKey, f))
		return notice{method: http.MethodPost, url: o.notify, header: jsonHeader(), body: body, sender: MoMo}
	}
	ns := []notice{ipn(o.txnID, code, msg)}
	if f.OutOfOrder && o.status == "paid" {
		stale, staleMsg := momoStatus("failed")
		ns = append(ns, ipn(s.nextTxn(), stale, staleMsg))
	}
	return ns
}
