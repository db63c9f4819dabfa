// Package demoportal is a mock public-service portal for `make run`: a
// plain Vietnamese page listing sample services. Choosing one asks the
// page's own backend route to create the payment with the portal's secret
// key — over HTTP, exactly as a real ministry portal's server would — and
// the browser then mounts the widget with the payment's client token. The
// secret key never reaches the browser.
package demoportal

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/internal/strictjson"
	"github.com/civicpay/civicpay/webhook"
)

//go:embed page.html
var files embed.FS

var page = template.Must(template.New("page.html").Funcs(template.FuncMap{"vnd": formatVND}).ParseFS(files, "page.html"))

// formatVND writes whole đồng the Vietnamese way: 1.250.000 ₫.
func formatVND(s *string) string {
	if s == nil {
		return ""
	}
	digits := *s
	var out []byte
	for i := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, digits[i])
	}
	return string(out) + " ₫"
}

// Portal serves the demo page, its backend route and its webhook receiver.
type Portal struct {
	Gateway       string // base URL of the gateway API, e.g. http://127.0.0.1:8080
	SecretKey     string // the demo portal's sk_test_… key
	WebhookSecret string // to verify deliveries; empty skips verification
	Log           *slog.Logger
	Client        *http.Client

	mu     sync.Mutex
	recent []string
}

// Routes registers the portal's handlers on mux-like register functions.
func (p *Portal) Routes(handle func(method, path string, h http.HandlerFunc)) {
	handle(http.MethodGet, "/", p.index)
	handle(http.MethodPost, "/demo/pay", p.pay)
	handle(http.MethodPost, "/demo/webhooks", p.webhook)
	handle(http.MethodGet, "/demo/webhooks", p.webhookLog)
}

type service struct {
	Code string `json:"code"`
	Kind string `json:"kind"`
	Name struct {
		VI string `json:"vi"`
		EN string `json:"en"`
	} `json:"name"`
	AmountRule   string  `json:"amount_rule"`
	FixedAmount  *string `json:"fixed_amount"`
	ComputedRule string  `json:"computed_rule"`
}

func (p *Portal) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	var list struct {
		Data []service `json:"data"`
	}
	if err := p.call(r.Context(), http.MethodGet, "/v1/services", nil, "", &list); err != nil {
		http.Error(w, "the gateway did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	_ = page.Execute(w, map[string]any{"Services": list.Data})
}

// sample inputs the demo uses for each kind of amount rule.
func sample(s service) (amount string, quote map[string]any, ref string, payer map[string]string) {
	payer = map[string]string{"name": "Nguyễn Văn An", "id_number": "001099012345"}
	switch s.Kind {
	case "fine":
		ref = fmt.Sprintf("%d/QD-XPHC", time.Now().Unix()%100000)
	case "tax":
		ref = fmt.Sprintf("%d", 10000000000+time.Now().UnixNano()%1000000000)
		payer = map[string]string{"name": "Công ty TNHH Demo", "tax_code": "0101234567"}
	case "insurance":
		ref = "TZ0123A"
		payer = map[string]string{"name": "Công ty TNHH Demo", "tax_code": "0101234567"}
	default:
		ref = "HS-" + time.Now().Format("060102") + "-" + strings.ToUpper(randHex(3))
	}
	switch {
	case s.AmountRule == "payer_declared" && s.Kind == "fine":
		amount = "1500000"
	case s.AmountRule == "payer_declared":
		amount = "2500000"
	case s.ComputedRule == "tax_late_interest":
		due := time.Now().AddDate(0, -2, 0).Format("2006-01-02")
		quote = map[string]any{"service": s.Code, "inputs": map[string]string{"overdue_amount": "12500000", "due_date": due}}
	case s.ComputedRule == "household_health_insurance":
		ref = "GD4797931234567"
		quote = map[string]any{"service": s.Code, "inputs": map[string]string{"months": "12", "member_1": "GD4797931234567 Nguyễn Văn An", "member_2": "GD4797931234568 Trần Thị Bình"}}
	case s.ComputedRule == "social_insurance":
		quote = map[string]any{"service": s.Code, "inputs": map[string]string{"si_unit": demo.SIUnit, "period": time.Now().Format("2006-01")}}
	}
	return amount, quote, ref, payer
}

// pay is the portal's own backend: it creates the payment with the secret
// key and hands the browser only the payment id and its client token.
func (p *Portal) pay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Service string `json:"service"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err := strictjson.Decode(raw, &in, strictjson.Options{DisallowUnknown: true}); err != nil || in.Service == "" {
		http.Error(w, "choose a service", http.StatusBadRequest)
		return
	}
	var svc service
	var list struct {
		Data []service `json:"data"`
	}
	if err := p.call(r.Context(), http.MethodGet, "/v1/services", nil, "", &list); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, s := range list.Data {
		if s.Code == in.Service {
			svc = s
		}
	}
	if svc.Code == "" {
		http.Error(w, "no such service", http.StatusNotFound)
		return
	}
	amount, quoteReq, ref, payer := sample(svc)
	body := map[string]any{"service": svc.Code, "reference": ref, "payer": payer, "description": svc.Name.VI,
		"metadata": map[string]string{"portal": "demo"}}
	if amount != "" {
		body["amount"] = amount
	}
	if quoteReq != nil {
		var q struct {
			ID string `json:"id"`
		}
		if err := p.call(r.Context(), http.MethodPost, "/v1/quotes", quoteReq, "", &q); err != nil {
			http.Error(w, "quote: "+err.Error(), http.StatusBadGateway)
			return
		}
		body["quote"] = q.ID
	}
	var created struct {
		ID          string `json:"id"`
		ClientToken string `json:"client_token"`
	}
	if err := p.call(r.Context(), http.MethodPost, "/v1/payments", body, randHex(16), &created); err != nil {
		http.Error(w, "payment: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"payment": created.ID, "clientToken": created.ClientToken})
}

// webhook receives the gateway's events for this portal and verifies them.
func (p *Portal) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable", http.StatusBadRequest)
		return
	}
	if p.WebhookSecret != "" {
		if err := webhook.Verify(p.WebhookSecret, r.Header.Get(webhook.Header), body, time.Now(), webhook.DefaultTolerance); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	var evt struct {
		ID, Type string
	}
	_ = strictjson.Decode(body, &evt, strictjson.Options{})
	p.mu.Lock()
	p.recent = append([]string{time.Now().Format(time.TimeOnly) + " " + evt.Type + " " + evt.ID}, p.recent...)
	if len(p.recent) > 50 {
		p.recent = p.recent[:50]
	}
	p.mu.Unlock()
	if p.Log != nil {
		p.Log.Info("demo portal received a webhook", "event", evt.ID, "type", evt.Type)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Portal) webhookLog(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p.recent)
}

func (p *Portal) call(ctx context.Context, method, path string, body any, idem string, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.Gateway+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return strictjson.Decode(raw, out, strictjson.Options{})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
