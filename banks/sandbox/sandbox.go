// Package sandbox simulates the providers the gateway talks to — MoMo,
// ZaloPay, VNPAY, and a bank whose transfers Casso and SePay report — each
// speaking its real protocol through the same protocol packages the
// gateway uses. It checks the gateway's signatures, serves a small
// checkout page per order (a QR and a pay button), and on payment sends
// the signed callback the real provider would.
//
// A control API (see control.go and docs/PROVIDERS.md) makes each provider
// misbehave on demand: down, 5xx, slow, hanging, wrong signatures,
// duplicate, late or out-of-order callbacks, wrong amounts; and writes a
// daily transaction report. cmd/banksim serves it for `make run`; tests
// start it in-process on a loopback port.
package sandbox

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what the simulator needs to know about its surroundings.
type Config struct {
	// Gateway is the gateway's base URL, for the callbacks a real provider
	// is configured with out of band (VNPAY IPN, bank-feed webhooks).
	Gateway string
	// ReportDir receives the daily report files; default os.TempDir().
	ReportDir string
	Log       *slog.Logger
	// Client sends callbacks; default a client with a 15 s timeout (MoMo's
	// own IPN deadline).
	Client *http.Client
	Now    func() time.Time
	// RetryScale multiplies the providers' callback retry schedules
	// (RetrySchedules): 0.001 turns SePay's 33 minutes into 2 s. 0 is 1.
	RetryScale float64
}

// Server is a running simulator.
type Server struct {
	cfg       Config
	gateway   atomic.Pointer[string]
	base      atomic.Pointer[string]
	srv       *http.Server
	seq       atomic.Int64
	txnBase   int64
	wg        sync.WaitGroup // late callbacks in flight
	closing   chan struct{}  // closed by Close: late callbacks are dropped
	closeOnce sync.Once
	stopCtx   context.Context // cancelled by Close: callbacks in flight end
	stop      context.CancelFunc
	retries   atomic.Int64

	mu      sync.Mutex
	orders  map[string]*order // provider + "/" + provider order id
	txns    []txn
	booked  []booked               // transfers, for the feeds' transaction lists
	refunds map[string]*momoRefund // MoMo refund orderId → the refund
	faults  map[string]Fault
	changed chan struct{} // closed and replaced whenever faults change
}

// order is one order as the provider sees it.
type order struct {
	provider   string
	id         string // MoMo orderId, ZaloPay app_trans_id, VNPAY vnp_TxnRef, bank: payment code
	amount     int64
	info       string
	notify     string // callback URL the gateway gave (MoMo, ZaloPay)
	redirect   string
	created    time.Time
	createDate string // VNPAY vnp_CreateDate, which querydr must repeat
	requestID  string // MoMo create requestId
	reply      []byte // MoMo create answer, replayed for a repeated requestId
	extra      map[string]string
	status     string // pending, paid, failed
	txnID      int64
	creates    int // create requests naming this order: retries must not make more orders
}

// txn is one line of the daily report.
type txn struct {
	at                  time.Time
	provider, id, order string
	amount              int64
	status              string
}

// New builds a simulator; serve Handler() yourself or call Start.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, orders: map[string]*order{}, refunds: map[string]*momoRefund{}, faults: map[string]Fault{}, changed: make(chan struct{}), closing: make(chan struct{})}
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	s.txnBase = cfg.Now().UnixMilli() * 1000
	s.SetGateway(cfg.Gateway)
	return s
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves until Close.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	url := "http://" + ln.Addr().String()
	s.SetBase(url)
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	s.cfg.Log.Info("sandbox providers listening", "url", url)
	return url, nil
}

// Close stops serving, releases hanging requests and waits for late
// callbacks.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closing); s.stop() })
	s.Reset()
	var err error
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
	}
	s.wg.Wait()
	return err
}

// SetGateway points out-of-band callbacks at the gateway.
func (s *Server) SetGateway(url string) {
	url = strings.TrimRight(url, "/")
	s.gateway.Store(&url)
}

func (s *Server) gatewayURL() string { return *s.gateway.Load() }

// SetBase is the simulator's own URL, for the pay URLs it hands out;
// Start sets it.
func (s *Server) SetBase(url string) {
	url = strings.TrimRight(url, "/")
	s.base.Store(&url)
}

// URL is the simulator's base URL.
func (s *Server) URL() string {
	if p := s.base.Load(); p != nil {
		return *p
	}
	return ""
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Handler routes every simulated provider, the pages and the control API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	s.routesMoMo(mux)
	s.routesZaloPay(mux)
	s.routesVNPay(mux)
	s.routesBank(mux)
	s.routesFeedAPI(mux)
	s.routesControl(mux)
	return mux
}

func key(provider, id string) string { return provider + "/" + id }

// record adds a report line; callers hold s.mu.
func (s *Server) record(provider, id, orderID string, amount int64, status string) {
	s.txns = append(s.txns, txn{at: s.now(), provider: provider, id: id, order: orderID, amount: amount, status: status})
}

// nextTxn is a provider transaction id: increasing, and different across
// simulator restarts so a gateway database reused by `make run` never sees
// an old id again.
func (s *Server) nextTxn() int64 {
	return s.txnBase + s.seq.Add(1)
}
