package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/civicpay/civicpay/internal/strictjson"
)

var pages = template.Must(template.New("").Funcs(template.FuncMap{"vnd": formatVND}).Parse(`
{{define "head"}}<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{.}} · civicpay sandbox</title>
<style>body{font:16px system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
.warn{background:#fff3cd;padding:.5rem 1rem;border-radius:6px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:14px}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}
code,textarea{font-size:13px}textarea{width:100%}</style></head><body>
<p class="warn">SANDBOX — simulated providers with public test credentials. No real money moves.</p>{{end}}

{{define "checkout"}}{{template "head" .Provider}}
<h1>{{.Provider}} checkout</h1>
<p>Order <code>{{.ID}}</code><br>Amount <b>{{vnd .Amount}} ₫</b><br>{{.Info}}</p>
<p>Status: <b>{{.Status}}</b></p>
{{if eq .Status "pending"}}<img alt="QR of this page" src="data:image/png;base64,{{.QR}}" width="220" height="220">
<form method="post"><button name="action" value="pay">Pay</button><button name="action" value="decline">Cancel</button></form>{{end}}
<p><a href="/">All orders</a></p></body></html>{{end}}

{{define "result"}}{{template "head" "Result"}}
<h1>{{.Provider}}: {{.Status}}</h1><p>Order <code>{{.OrderID}}</code>, transaction <code>{{.TxnID}}</code></p>
<h2>Callbacks and the gateway's answers</h2><table><tr><th>HTTP</th><th>Answer</th></tr>
{{range .Callbacks}}<tr><td>{{if .Late}}later{{else}}{{.Status}}{{end}}</td><td><code>{{.Body}}{{.Error}}</code></td></tr>{{end}}</table>
<p><a href="/">All orders</a></p></body></html>{{end}}

{{define "bank"}}{{template "head" "Bank"}}
<h1>Bank transfer</h1><p>Paste the VietQR payload the widget shows; the bank transfers the amount to the account in it,
with the payment code as content, and the feed reports it to the gateway.</p>
<form method="post" action="/bank/pay"><textarea name="qr_payload" rows="4" required></textarea>
<p><label><input type="radio" name="feed" value="casso" checked> Casso v2</label>
<label><input type="radio" name="feed" value="sepay"> SePay</label></p><button>Transfer</button></form>
<p><a href="/">All orders</a></p></body></html>{{end}}

{{define "index"}}{{template "head" "Providers"}}
<h1>civicpay sandbox providers</h1>
<p>Gateway: <code>{{.Gateway}}</code> · <a href="/bank">bank transfer</a> · report: <a href="/control/report">today's CSV</a></p>
<h2>Faults</h2>{{if .Faults}}<table>{{range $p, $f := .Faults}}<tr><td>{{$p}}</td><td><code>{{$f}}</code></td></tr>{{end}}</table>
{{else}}<p>None: every provider behaves.</p>{{end}}
<h2>Orders</h2><table><tr><th>Provider</th><th>Order</th><th>Amount</th><th>Status</th></tr>
{{range .Orders}}<tr><td>{{.Provider}}</td><td><a href="/{{.Provider}}/pay/{{.OrderID}}">{{.OrderID}}</a></td><td>{{vnd .Amount}}</td><td>{{.Status}}</td></tr>{{end}}</table>
<h2>Control API</h2><pre>PUT  /control/faults/{provider}  {"mode":"down|unavailable|error|slow|hang","delay":"2s",
                                 "bad_signature":true,"duplicates":1,"late":"5s","out_of_order":true,"wrong_amount":true,
                                 "no_retry":true}
GET  /casso/v2/transactions?fromDate=…      GET /sepay/userapi/transactions/list?account_number=…
DELETE /control/faults/{provider}    POST /control/reset
POST /control/pay     {"qr_payload":"…","feed":"casso|sepay","decline":false}
GET  /control/orders  GET /control/report?date=YYYY-MM-DD   POST /control/report?date=…</pre></body></html>{{end}}
`))

// formatVND groups thousands with dots, as Vietnamese prices are written.
func formatVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

type checkoutView struct {
	Provider, ID, Info, Status, QR string
	Amount                         int64
}

// checkout shows an order with a QR (of this very page, so a phone can
// open it) and pay / cancel buttons.
func (s *Server) checkout(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		o, ok := s.orders[key(provider, r.PathValue("id"))]
		var v checkoutView
		if ok {
			v = checkoutView{Provider: provider, ID: o.id, Info: o.info, Status: o.status, Amount: o.amount}
		}
		s.mu.Unlock()
		if !ok {
			http.Error(w, "no such order", http.StatusNotFound)
			return
		}
		png, err := qrcode.Encode(s.URL()+r.URL.Path, qrcode.Medium, 256)
		if err == nil {
			v.QR = base64.StdEncoding.EncodeToString(png)
		}
		render(w, "checkout", v)
	}
}

// checkoutPay is the pay button: the same Pay the control API runs, then
// back to the merchant's return URL as the real provider would.
func (s *Server) checkoutPay(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := s.Pay(PayRequest{Provider: provider, OrderID: r.PathValue("id"), Decline: r.FormValue("action") == "decline"})
		if err != nil {
			http.Error(w, err.Error(), payStatus(err))
			return
		}
		if to := s.returnURL(provider, r.PathValue("id")); to != "" {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		s.renderResult(w, res)
	}
}

func (s *Server) returnURL(provider, id string) string {
	s.mu.Lock()
	o, ok := s.orders[key(provider, id)]
	var cp order
	if ok {
		cp = *o
	}
	s.mu.Unlock()
	if !ok {
		return ""
	}
	if provider == VNPay {
		return vnpayReturn(cp, s.vnpayNotices(cp, Fault{}))
	}
	return cp.redirect
}

func (s *Server) renderResult(w http.ResponseWriter, res PayResult) { render(w, "result", res) }

func (s *Server) bankPage(w http.ResponseWriter, _ *http.Request) { render(w, "bank", nil) }

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	faults := map[string]string{}
	for p, f := range s.faults {
		b, _ := json.Marshal(f)
		faults[p] = string(b)
	}
	s.mu.Unlock()
	orders := s.Orders("")
	if len(orders) > 50 {
		orders = orders[:50]
	}
	render(w, "index", map[string]any{"Gateway": s.gatewayURL(), "Faults": faults, "Orders": orders})
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pages.ExecuteTemplate(w, name, data)
}

// OrderView is an order as the control API lists it. Creates counts the
// create requests that named the order: more than one means the gateway
// retried, and the provider deduplicated.
type OrderView struct {
	Provider string `json:"provider"`
	OrderID  string `json:"order_id"`
	Amount   int64  `json:"amount"`
	Status   string `json:"status"`
	TxnID    int64  `json:"txn_id,omitempty"`
	Creates  int    `json:"creates"`
}

// Orders lists the orders of one provider ("" for all), newest first.
func (s *Server) Orders(provider string) []OrderView {
	s.mu.Lock()
	type row struct {
		v       OrderView
		created time.Time
	}
	var rows []row
	for _, o := range s.orders {
		if provider == "" || o.provider == provider {
			rows = append(rows, row{OrderView{o.provider, o.id, o.amount, o.status, o.txnID, o.creates}, o.created})
		}
	}
	s.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].created.After(rows[j].created) })
	out := make([]OrderView, len(rows))
	for i, r := range rows {
		out[i] = r.v
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads one JSON request body of at most 64 KiB.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return readStrict(w, r, 64<<10, v, false) == nil
}

// readStrict reads a body of at most limit bytes through the gateway's
// strict decoder: the simulator refuses a repeated key as a provider
// should, so a gateway that sent one would fail its tests.
func readStrict(w http.ResponseWriter, r *http.Request, limit int64, v any, disallowUnknown bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return err
	}
	return strictjson.Decode(body, v, strictjson.Options{DisallowUnknown: disallowUnknown})
}

func payStatus(err error) int {
	switch {
	case errors.Is(err, ErrNoOrder):
		return http.StatusNotFound
	case errors.Is(err, ErrNotPending):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}
