// Package app assembles a running gateway from its parts: the River client
// with its workers and periodic jobs, the settlement group-committer, the
// status hub, and the HTTP server. `civicpay serve` and the tests build the
// gateway the same way through it.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/insurance"
	"github.com/civicpay/civicpay/gateway/maintenance"
	"github.com/civicpay/civicpay/gateway/metrics"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/gateway/requery"
	"github.com/civicpay/civicpay/gateway/settlement"
	"github.com/civicpay/civicpay/gateway/stream"
	"github.com/civicpay/civicpay/gateway/webhooks"
)

// Config is what assembling needs.
type Config struct {
	Pool      *pgxpool.Pool
	Log       *slog.Logger
	PublicURL string
	// Workers runs River's workers and periodic jobs in this process.
	Workers bool
	// Fees prices each provider for the ledger's fee postings.
	Fees func(provider string) banks.Fee
	// WebhookClient posts to portals; nil is a client with sane timeouts.
	WebhookClient *http.Client
	// ExpireEvery is the sweep interval (default 30 s).
	ExpireEvery time.Duration
	// RequeryEvery is how often overdue wallet orders are asked about
	// (gateway/requery; default 1 min).
	RequeryEvery time.Duration
	// RequeryAfter is an order's age before its first question and the
	// shortest gap between questions (default requery.MinAge).
	RequeryAfter time.Duration
	// SIObligationsEvery is how often SI units' monthly obligations are
	// made and their reminders sent (gateway/insurance; default 1 h), and
	// SIDueSoonDays how many days before the due date obligation.due_soon
	// is sent (default 5).
	SIObligationsEvery time.Duration
	SIDueSoonDays      int
	// Provider finds a provider by name, for refunds; nil means refunds
	// wait for a manual transfer.
	Provider func(name string) (banks.Provider, bool)
	// ReceiptSigner signs receipts; nil is an ephemeral key, with a
	// warning (gateway/receipts.NewIssuer).
	ReceiptSigner *receipts.Signer
	// Adjust lets the caller add dependencies (providers, router) before
	// the HTTP server is built.
	Adjust func(*api.Deps)
}

// App is the assembled gateway.
type App struct {
	Server  *api.Server
	River   *river.Client[pgx.Tx]
	Settler *settlement.Settler
	Reader  *payments.Reader
	Creator *payments.Creator
	Hub     *stream.Hub
	Outbox  *events.Outbox
	// Receipts issues receipts in the settler's transactions.
	Receipts *receipts.Issuer
	cfg      Config
	cancel   context.CancelFunc
	done     chan struct{}
}

// New builds the gateway; Start runs its background parts.
func New(cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ExpireEvery == 0 {
		cfg.ExpireEvery = 30 * time.Second
	}
	if cfg.RequeryEvery == 0 {
		cfg.RequeryEvery = time.Minute
	}
	if cfg.SIObligationsEvery == 0 {
		cfg.SIObligationsEvery = time.Hour
	}
	if cfg.SIDueSoonDays == 0 {
		cfg.SIDueSoonDays = insurance.DefaultDueSoonDays
	}
	client := cfg.WebhookClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	workers := river.NewWorkers()
	webhookWorker := &webhooks.Worker{Pool: cfg.Pool, Client: client, Log: cfg.Log}
	river.AddWorker(workers, webhookWorker)
	outbox := &events.Outbox{}
	expireWorker := &maintenance.ExpireWorker{Pool: cfg.Pool, Outbox: outbox, Log: cfg.Log}
	pruneWorker := &maintenance.PruneWorker{Pool: cfg.Pool}
	river.AddWorker(workers, expireWorker)
	river.AddWorker(workers, pruneWorker)
	var deps api.Deps // filled below; the refund worker looks providers up lazily
	lookup := cfg.Provider
	if lookup == nil {
		lookup = func(name string) (banks.Provider, bool) { p, ok := deps.Providers[name]; return p, ok }
	}
	refundWorker := &refunds.Worker{Pool: cfg.Pool, Outbox: outbox, Log: cfg.Log, Provider: lookup}
	river.AddWorker(workers, refundWorker)
	requeryWorker := &requery.Worker{Config: requery.Config{Pool: cfg.Pool, Log: cfg.Log, Provider: lookup,
		MinAge: cfg.RequeryAfter, Again: cfg.RequeryAfter}}
	river.AddWorker(workers, requeryWorker)
	siWorker := &insurance.Worker{Pool: cfg.Pool, Outbox: outbox, DueSoonDays: cfg.SIDueSoonDays, Log: cfg.Log}
	river.AddWorker(workers, siWorker)
	// A job that was running on an instance that died stays "running" in
	// the table until the rescuer notices; River's default of an hour
	// would hold a webhook or a refund that long. No job can legitimately
	// run past its timeout, so rescue shortly after the longest one.
	rescue := RescueAfter(JobTimeout, webhookWorker.Timeout(nil), expireWorker.Timeout(nil),
		pruneWorker.Timeout(nil), refundWorker.Timeout(nil), requeryWorker.Timeout(nil), siWorker.Timeout(nil))
	rc, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		Logger:  slog.New(atLeast{cfg.Log.Handler(), slog.LevelWarn}),
		Workers: workers,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			events.Queue:       {MaxWorkers: 20},
		},
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.ExpireEvery), func() (river.JobArgs, *river.InsertOpts) {
				return maintenance.ExpireArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return maintenance.PruneArgs{}, nil
			}, nil),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.RequeryEvery), func() (river.JobArgs, *river.InsertOpts) {
				return requery.Args{}, nil
			}, nil),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.SIObligationsEvery), func() (river.JobArgs, *river.InsertOpts) {
				return insurance.ObligationsArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		},
		FetchCooldown:        50 * time.Millisecond,
		FetchPollInterval:    500 * time.Millisecond,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: rescue,
	})
	if err != nil {
		return nil, err
	}
	outbox.River = rc
	hub := &stream.Hub{ConnString: cfg.Pool.Config().ConnString(), Log: cfg.Log,
		Poll: func(ctx context.Context, ids []string) (map[string]string, error) {
			return payments.Statuses(ctx, cfg.Pool, ids)
		},
		Final: func(s string) bool { return !payments.Status(s).Open() },
	}
	m := metrics.New()
	issuer := receipts.NewIssuer(cfg.ReceiptSigner, outbox, cfg.PublicURL, cfg.Log)
	settler := &settlement.Settler{Pool: cfg.Pool, Outbox: outbox, Fees: cfg.Fees, Log: cfg.Log, Metrics: m, Receipts: issuer}
	requeryWorker.Settler = settler
	reader := &payments.Reader{Pool: cfg.Pool, Observe: func(n int) { m.ReadBatch.Observe(float64(n)) }}
	creator := &payments.Creator{Pool: cfg.Pool, Observe: func(n int) { m.CreateBatch.Observe(float64(n)) }}
	deps = api.Deps{Pool: cfg.Pool, Log: cfg.Log, PublicURL: cfg.PublicURL, Outbox: outbox, Hub: hub, Settler: settler,
		Reader: reader, Creator: creator, Metrics: m}
	if cfg.Adjust != nil {
		cfg.Adjust(&deps)
	}
	return &App{Server: api.New(deps), River: rc, Settler: settler, Reader: reader, Creator: creator, Hub: hub, Outbox: outbox,
		Receipts: issuer, cfg: cfg}, nil
}

// Start runs the settler, the payment reader and creator, the status hub
// and (when configured) River.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	a.done = make(chan struct{})
	if err := a.Receipts.Register(ctx, a.cfg.Pool); err != nil {
		a.cfg.Log.Warn("receipt key not published yet; the first receipt will publish it", "err", err)
	}
	if a.cfg.Workers {
		if err := a.River.Start(ctx); err != nil {
			a.cancel()
			return err
		}
	}
	go func() {
		defer close(a.done)
		go a.Hub.Run(ctx)
		go a.Reader.Run(ctx)
		go a.Creator.Run(ctx)
		a.Settler.Run(ctx)
	}()
	return nil
}

// Stop ends the background parts; call it after the HTTP server has shut
// down so no request waits on a stopped settler.
func (a *App) Stop(ctx context.Context) error {
	if a.cancel == nil {
		return nil
	}
	var err error
	if a.cfg.Workers {
		err = a.River.Stop(ctx)
	}
	a.cancel()
	select {
	case <-a.done:
	case <-ctx.Done():
	}
	return err
}

// JobTimeout is how long River lets a job run before cancelling its
// context, for workers that do not set their own.
const JobTimeout = time.Minute

// rescueMargin is how long after its timeout a still-"running" job is taken
// for the work of a dead instance: River's own stuck threshold is 10 s, and
// a job cancelled at its timeout needs a moment to record its outcome.
const rescueMargin = time.Minute

// RescueAfter is when a running job is rescued (retried): the longest of
// the jobs' timeouts (0 means River's JobTimeout) plus a margin. A rescued
// job may run twice — a webhook delivery repeats, and portals de-duplicate
// on the event id.
func RescueAfter(jobTimeout time.Duration, timeouts ...time.Duration) time.Duration {
	longest := jobTimeout
	for _, d := range timeouts {
		longest = max(longest, d)
	}
	return longest + rescueMargin
}

// atLeast drops records below a level: River reports routine job counts at
// info level every few seconds, which would drown the access log.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
