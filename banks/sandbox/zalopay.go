package sandbox

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civicpay/civicpay/banks/zalopay"
)

func (s *Server) routesZaloPay(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ZaloPayPath+"/v2/create", s.api(ZaloPay, s.zaloCreate))
	mux.HandleFunc("POST "+ZaloPayPath+"/v2/query", s.api(ZaloPay, s.zaloQuery))
	mux.HandleFunc("GET "+ZaloPayPath+"/pay/{id}", s.checkout(ZaloPay))
	mux.HandleFunc("POST "+ZaloPayPath+"/pay/{id}", s.checkoutPay(ZaloPay))
}

type zaloAnswer struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
}

func zaloRefuse(w http.ResponseWriter, sub int, msg string) {
	writeJSON(w, http.StatusOK, zaloAnswer{ReturnCode: 2, ReturnMessage: "Giao dịch thất bại", SubReturnCode: sub, SubReturnMessage: msg})
}

// zaloCreate is /v2/create. ZaloPay refuses a repeated app_trans_id (-68),
// which is what keeps a retried create from making a second order.
func (s *Server) zaloCreate(w http.ResponseWriter, r *http.Request) {
	o, err := zaloOrderFrom(r)
	if err != nil {
		zaloRefuse(w, -401, "Dữ liệu yêu cầu không hợp lệ: "+err.Error())
		return
	}
	if o.AppID != ZaloPayAppID || !o.Verify(ZaloPayKey1) {
		zaloRefuse(w, -402, "Chữ ký không hợp lệ")
		return
	}
	if err := o.Validate(s.now()); err != nil {
		zaloRefuse(w, -401, err.Error())
		return
	}
	if !s.zaloAdd(o) {
		zaloRefuse(w, -68, "Mã giao dịch bị trùng")
		return
	}
	pay := s.URL() + ZaloPayPath + "/pay/" + url.PathEscape(o.AppTransID)
	writeJSON(w, http.StatusOK, zalopay.CreateResponse{
		ReturnCode: 1, ReturnMessage: "Giao dịch thành công", SubReturnCode: 1, SubReturnMessage: "Giao dịch thành công",
		OrderURL: pay, ZPTransToken: "sbx" + strconv.FormatInt(s.nextTxn(), 36), OrderToken: "sbx" + o.AppTransID, QRCode: pay,
	})
}

func (s *Server) zaloAdd(o zalopay.CreateOrder) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.orders[key(ZaloPay, o.AppTransID)]; prev != nil {
		prev.creates++
		return false
	}
	var redirect struct {
		URL string `json:"redirecturl"`
	}
	_ = json.Unmarshal([]byte(o.EmbedData), &redirect)
	s.orders[key(ZaloPay, o.AppTransID)] = &order{
		provider: ZaloPay, id: o.AppTransID, amount: o.Amount, info: o.Description, notify: o.CallbackURL,
		redirect: redirect.URL, created: s.now(), status: "pending", creates: 1,
		extra: map[string]string{"app_user": o.AppUser, "app_time": strconv.FormatInt(o.AppTime, 10), "embed_data": o.EmbedData, "item": o.Item},
	}
	return true
}

// zaloOrderFrom reads a create request as a form (ZaloPay's samples) or JSON.
func zaloOrderFrom(r *http.Request) (zalopay.CreateOrder, error) {
	var o zalopay.CreateOrder
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return o, readStrict(nil, r, 64<<10, &o, false)
	}
	if err := r.ParseForm(); err != nil {
		return o, err
	}
	f := r.PostForm
	ints := map[string]*int64{"app_id": &o.AppID, "app_time": &o.AppTime, "amount": &o.Amount, "expire_duration_seconds": &o.ExpireDurationSeconds}
	for name, dst := range ints {
		if v := f.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return o, errors.New(name + " is not an integer")
			}
			*dst = n
		}
	}
	o.AppUser, o.AppTransID, o.Description = f.Get("app_user"), f.Get("app_trans_id"), f.Get("description")
	o.EmbedData, o.Item, o.CallbackURL, o.BankCode, o.MAC = f.Get("embed_data"), f.Get("item"), f.Get("callback_url"), f.Get("bank_code"), f.Get("mac")
	return o, nil
}

// zaloQuery is /v2/query: 1 paid, 2 failed or unknown, 3 still waiting.
func (s *Server) zaloQuery(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		zaloRefuse(w, -401, "Dữ liệu yêu cầu không hợp lệ")
		return
	}
	appID, _ := strconv.ParseInt(r.PostForm.Get("app_id"), 10, 64)
	q := zalopay.QueryRequest{AppID: appID, AppTransID: r.PostForm.Get("app_trans_id"), MAC: r.PostForm.Get("mac")}
	if q.AppID != ZaloPayAppID || !q.Verify(ZaloPayKey1) {
		zaloRefuse(w, -402, "Chữ ký không hợp lệ")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[key(ZaloPay, q.AppTransID)]
	var res zalopay.QueryResponse
	if ok {
		res = zalopay.QueryResponse{Amount: o.amount, ZPTransID: o.txnID, ServerTime: s.now().UnixMilli()}
		switch o.status {
		case "paid":
			res.ReturnCode, res.ReturnMessage = 1, "Giao dịch thành công"
		case "failed":
			res.ReturnCode, res.ReturnMessage = 2, "Giao dịch thất bại"
		default:
			res.ReturnCode, res.ReturnMessage = 3, "Giao dịch chưa thực hiện"
		}
	}
	s.mu.Unlock()
	if !ok {
		res.ReturnCode, res.ReturnMessage, res.SubReturnCode, res.SubReturnMessage = 2, "Giao dịch thất bại", -54, "Không tìm thấy giao dịch"
	}
	writeJSON(w, http.StatusOK, res)
}

// zaloTransID finds the app_trans_id ending in our order id.
func (s *Server) zaloTransID(orderID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orders {
		if o.provider == ZaloPay && (o.id == orderID || strings.HasSuffix(o.id, "_"+orderID)) {
			return o.id
		}
	}
	return orderID
}

// zaloNotices is the callback of a paid order; ZaloPay sends none for a
// failed one.
func (s *Server) zaloNotices(o order, f Fault) []notice {
	if o.status != "paid" {
		return nil
	}
	appTime, _ := strconv.ParseInt(o.extra["app_time"], 10, 64)
	data, _ := json.Marshal(struct {
		AppID          int64  `json:"app_id"`
		AppTransID     string `json:"app_trans_id"`
		AppTime        int64  `json:"app_time"`
		AppUser        string `json:"app_user"`
		Amount         int64  `json:"amount"`
		EmbedData      string `json:"embed_data"`
		Item           string `json:"item"`
		ZPTransID      int64  `json:"zp_trans_id"`
		ServerTime     int64  `json:"server_time"`
		Channel        int    `json:"channel"`
		MerchantUserID string `json:"merchant_user_id"`
		UserFeeAmount  int64  `json:"user_fee_amount"`
		DiscountAmount int64  `json:"discount_amount"`
	}{ZaloPayAppID, o.id, appTime, o.extra["app_user"], callbackAmount(o, f), o.extra["embed_data"], o.extra["item"],
		o.txnID, s.now().UnixMilli(), 38, "sandbox-payer", 0, 0})
	mac := zalopay.SignCallback(signingKey(ZaloPayKey2, f), string(data))
	body, _ := json.Marshal(map[string]any{"data": string(data), "mac": mac, "type": zalopay.TypeOrder})
	return []notice{{method: http.MethodPost, url: o.notify, header: jsonHeader(), body: body, sender: ZaloPay}}
}
