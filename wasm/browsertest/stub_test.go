package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/civicpay/civicpay/banks/vietqr"
)

// Test fixtures: the agency account every bank_qr payload pays into.
const (
	agencyBIN     = "970415"
	agencyAccount = "113000000001"
	agencyName    = "KHO BAC NHA NUOC HA NOI"
	payAmount     = "1250000"
)

// stubPayment is one payment of the stub gateway.
type stubPayment struct {
	id, token  string
	status     string
	code       string
	expiresAt  time.Time
	returnURL  string
	methods    []string
	tamper     string // "", "amount" (valid CRC, wrong amount) or "crc"
	noStream   bool   // the stream endpoint fails: the widget must poll
	noExpiry   bool   // the status stays open past expires_at until set
	qrRequests int

	getRequests int
	failGets    int           // answer the next GETs with 503
	holdGets    chan struct{} // if set, GETs are answered once it is closed
	holdQRs     chan struct{} // if set, POST /qr is answered once it is closed
	qrPosted    chan struct{} // if set, closed at the first POST /qr
}

// stubAPI implements the three gateway endpoints the widget uses.
type stubAPI struct {
	mu       sync.Mutex
	payments map[string]*stubPayment
	changed  chan struct{} // closed and replaced on every status change
	clock    time.Duration // the stub gateway's clock minus the real one (its Date headers)
}

func newStubAPI() *stubAPI {
	return &stubAPI{payments: map[string]*stubPayment{}, changed: make(chan struct{})}
}

func (s *stubAPI) add(p *stubPayment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.status == "" {
		p.status = "requires_payment_method"
	}
	if p.code == "" {
		p.code = "CP" + strings.ToUpper(strings.TrimPrefix(p.id, "pay_")) + "K9Q2XW"
	}
	if p.expiresAt.IsZero() {
		p.expiresAt = time.Now().Add(15 * time.Minute)
	}
	if p.methods == nil {
		p.methods = []string{"bank_qr", "momo", "zalopay", "vnpay"}
	}
	s.payments[p.id] = p
}

func (s *stubAPI) setStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payments[id].status = status
	close(s.changed)
	s.changed = make(chan struct{})
}

// statusLocked is the payment's status, expired once expires_at passed.
func (p *stubPayment) statusLocked() string {
	if !p.noExpiry && (p.status == "requires_payment_method" || p.status == "pending") && time.Now().After(p.expiresAt) {
		return "expired"
	}
	return p.status
}

// bankPayload is the VietQR payload of p, tampered with as configured.
func (p *stubPayment) bankPayload() string {
	amount := payAmount
	if p.tamper == "amount" {
		amount = "1260000"
	}
	s, err := vietqr.Build(vietqr.Payload{BIN: agencyBIN, Account: agencyAccount, Amount: amount, Purpose: p.code})
	if err != nil {
		panic(err)
	}
	if p.tamper == "crc" {
		last := s[len(s)-1]
		if last == '0' {
			last = '1'
		} else {
			last = '0'
		}
		s = s[:len(s)-1] + string(last)
	}
	return s
}

// walletPayload is what a wallet method's QR encodes.
func (p *stubPayment) walletPayload(method string) string {
	return "https://pay.example.vn/" + method + "/" + p.id + "?amount=" + payAmount
}

// expectedPayload is the text the widget's QR must encode for a method.
func (s *stubAPI) expectedPayload(id, method string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[id]
	if method == "bank_qr" {
		return p.bankPayload()
	}
	return p.walletPayload(method)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": "https://civicpay.dev/problems#" + code, "title": http.StatusText(status),
		"status": status, "detail": detail, "code": code,
	})
}

func (s *stubAPI) routes(mux *http.ServeMux) {
	mux.HandleFunc("OPTIONS /v1/", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/payments/{id}", s.cors(s.auth(s.getPayment)))
	mux.HandleFunc("POST /v1/payments/{id}/qr", s.cors(s.auth(s.postQR)))
	mux.HandleFunc("GET /v1/payments/{id}/stream", s.cors(s.stream))
}

func (s *stubAPI) cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Date")
		w.Header().Set("Cache-Control", "no-store")
		s.mu.Lock()
		w.Header().Set("Date", time.Now().Add(s.clock).UTC().Format(http.TimeFormat))
		s.mu.Unlock()
		h(w, r)
	}
}

func (s *stubAPI) auth(h func(http.ResponseWriter, *http.Request, *stubPayment)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		p := s.payments[r.PathValue("id")]
		s.mu.Unlock()
		if p == nil {
			writeProblem(w, http.StatusNotFound, "payment_not_found", "No such payment.")
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+p.token {
			writeProblem(w, http.StatusUnauthorized, "invalid_client_token", "The client token is not valid for this payment.")
			return
		}
		h(w, r, p)
	}
}

func (s *stubAPI) paymentJSON(p *stubPayment) map[string]any {
	var ret any
	if p.returnURL != "" {
		ret = p.returnURL
	}
	return map[string]any{
		"id": p.id, "object": "payment", "status": p.statusLocked(), "amount": payAmount, "currency": "VND",
		"kind": "fee", "reference": "HS-2026-000123", "description": "Lệ phí đăng ký khai sinh",
		"payment_code": p.code, "expires_at": p.expiresAt.UTC().Format(time.RFC3339), "return_url": ret,
		"agency": map[string]any{
			"code": "KBNN-HN", "name": "Kho bạc Nhà nước Hà Nội", "bank_bin": agencyBIN, "bank_name": "VietinBank",
			"account_number": agencyAccount, "account_name": agencyName,
		},
		"service": map[string]any{"code": "HT-KHAISINH", "name": map[string]any{"vi": "Đăng ký khai sinh", "en": "Birth registration"}},
		"methods": p.methods,
	}
}

func (s *stubAPI) getPayment(w http.ResponseWriter, r *http.Request, p *stubPayment) {
	if p.holdGets != nil {
		select {
		case <-p.holdGets:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.getRequests++
	if p.failGets > 0 {
		p.failGets--
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Try again shortly.")
		return
	}
	writeJSON(w, http.StatusOK, s.paymentJSON(p))
}

// requests counts the GET /v1/payments/{id} and POST /qr a payment got.
func (s *stubAPI) requests(id string) (gets, qrs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payments[id].getRequests, s.payments[id].qrRequests
}

func (s *stubAPI) postQR(w http.ResponseWriter, r *http.Request, p *stubPayment) {
	var req struct {
		Method string `json:"method"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, "invalid_body", err.Error())
		return
	}
	if p.holdQRs != nil {
		select {
		case <-p.holdQRs:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.qrRequests++
	if p.qrRequests == 1 && p.qrPosted != nil {
		close(p.qrPosted)
	}
	out := map[string]any{
		"method": req.Method, "amount": payAmount, "payment_code": p.code,
		"expires_at": p.expiresAt.UTC().Format(time.RFC3339), "deeplink": nil, "pay_url": nil, "beneficiary": nil,
	}
	switch req.Method {
	case "bank_qr":
		out["provider"] = "vietqr"
		out["qr_payload"] = p.bankPayload()
		out["beneficiary"] = map[string]any{"bank_bin": agencyBIN, "bank_name": "VietinBank", "account_number": agencyAccount, "account_name": agencyName}
	case "momo", "zalopay", "vnpay":
		out["provider"] = req.Method
		out["qr_payload"] = p.walletPayload(req.Method)
		out["deeplink"] = req.Method + "://pay?order=" + p.id
		out["pay_url"] = p.walletPayload(req.Method) + "&web=1"
	default:
		writeProblem(w, http.StatusUnprocessableEntity, "method_not_available", "Method not offered.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// stream is the SSE endpoint: the current status first, then each change,
// until the status is final or the client goes away.
func (s *stubAPI) stream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.payments[r.PathValue("id")]
	s.mu.Unlock()
	if p == nil || r.URL.Query().Get("client_token") != p.token {
		writeProblem(w, http.StatusUnauthorized, "invalid_client_token", "The client token is not valid for this payment.")
		return
	}
	if p.noStream {
		writeProblem(w, http.StatusServiceUnavailable, "stream_unavailable", "Streaming is off.")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	last := ""
	for {
		s.mu.Lock()
		st, changed := p.statusLocked(), s.changed
		s.mu.Unlock()
		if st != last {
			fmt.Fprintf(w, "event: status\ndata: {\"status\":%q}\n\n", st)
			fl.Flush()
			last = st
		}
		switch st {
		case "succeeded", "failed", "expired", "canceled":
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-time.After(max(time.Until(p.expiresAt), 0) + 50*time.Millisecond):
		}
	}
}
