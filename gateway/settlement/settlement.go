// Package settlement records verified provider callbacks exactly once: the
// raw callback, the payment's transition, its balanced ledger entry and the
// portal's event commit together or not at all.
//
// It is the gateway's hot path, so it commits in groups: callbacks arriving
// together are settled by one SQL statement in one transaction (see
// settle.sql), the way TigerBeetle amortises its commits. Each callback
// keeps its own outcome; a batch that fails as a whole is retried one
// callback at a time, so one bad callback cannot sink its neighbours.
package settlement

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/metrics"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/internal/batch"
)

//go:embed settle.sql
var settleSQL string

// Result is what became of one callback.
type Result struct {
	Outcome   banks.Outcome
	Reason    string
	PaymentID string
	// Duplicate is true when this callback was recorded before (by this or
	// another gateway instance); Outcome is then the original outcome.
	Duplicate bool
}

// Reply is the provider-facing form of the result.
func (r Result) Reply() banks.Reply { return banks.Reply{Outcome: r.Outcome, Reason: r.Reason} }

// Settler batches callbacks from concurrent requests into group commits.
type Settler struct {
	Pool   *pgxpool.Pool
	Outbox *events.Outbox
	Fees   func(provider string) banks.Fee
	Log    *slog.Logger
	// Metrics, when set, records batch sizes and outcomes.
	Metrics *metrics.Metrics
	// MaxBatch bounds one statement; Workers is how many batches may be in
	// flight at once (each holds one connection).
	MaxBatch, Workers int

	once sync.Once
	q    *batch.Queue[*request]
}

type request struct {
	cb   banks.Callback
	done chan response
}

type response struct {
	res Result
	err error
}

func (s *Settler) init() {
	s.once.Do(func() {
		if s.MaxBatch <= 0 {
			s.MaxBatch = 128
		}
		if s.Workers <= 0 {
			s.Workers = 4
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
		s.q = batch.New(s.MaxBatch, s.Workers, s.process)
	})
}

// Run settles until ctx ends. Start it once per process.
func (s *Settler) Run(ctx context.Context) {
	s.init()
	s.q.Run(ctx)
}

// Settle records cb and returns its outcome. It waits for the group commit
// that includes it.
func (s *Settler) Settle(ctx context.Context, cb banks.Callback) (Result, error) {
	s.init()
	req := &request{cb: cb, done: make(chan response, 1)}
	if err := s.q.Submit(ctx, req); err != nil {
		return Result{}, err
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// process splits a batch into statements in which every payment and every
// callback appears once; a repeat of a callback shares its leader's result.
func (s *Settler) process(ctx context.Context, pending []*request) {
	for len(pending) > 0 {
		var round, later []*request
		leaders := map[string]*request{}
		followers := map[*request][]*request{}
		paymentsSeen := map[string]bool{}
		for _, r := range pending {
			key := r.cb.Provider + "\x00" + r.cb.TxnID
			if l, ok := leaders[key]; ok {
				followers[l] = append(followers[l], r)
				continue
			}
			pk := r.cb.PaymentID + "\x00" + r.cb.PaymentCode
			if paymentsSeen[pk] {
				later = append(later, r)
				continue
			}
			paymentsSeen[pk] = true
			leaders[key] = r
			round = append(round, r)
		}
		results, err := s.settleIsolated(ctx, round)
		s.observe(round, results, err)
		for i, r := range round {
			resp := response{err: err}
			if err == nil {
				resp.res = results[i]
			}
			r.done <- resp
			for _, f := range followers[r] {
				dup := resp
				dup.res.Duplicate = true
				f.done <- dup
			}
		}
		pending = later
	}
}

// settleIsolated settles the batch together, or one by one if together fails.
func (s *Settler) settleIsolated(ctx context.Context, items []*request) ([]Result, error) {
	results, err := s.settleBatch(ctx, items)
	if err == nil || len(items) == 1 {
		return results, err
	}
	s.Log.Warn("settlement batch failed; settling one by one", "size", len(items), "err", err)
	results = make([]Result, len(items))
	var firstErr error
	for i, it := range items {
		r, err := s.settleBatch(ctx, []*request{it})
		if err != nil {
			firstErr = err
			results[i] = Result{Outcome: banks.OutcomeError}
			continue
		}
		results[i] = r[0]
	}
	if firstErr != nil && allErrors(results) {
		return nil, firstErr
	}
	return results, nil
}

func allErrors(rs []Result) bool {
	for _, r := range rs {
		if r.Outcome != banks.OutcomeError {
			return false
		}
	}
	return true
}

// settleBatch runs settle.sql for items in one transaction with their events.
func (s *Settler) settleBatch(ctx context.Context, items []*request) ([]Result, error) {
	var results []Result
	err := pg.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		results, err = s.exec(ctx, tx, items)
		return err
	})
	return results, err
}

func (s *Settler) exec(ctx context.Context, tx pgx.Tx, items []*request) ([]Result, error) {
	rows, err := tx.Query(ctx, settleSQL, s.columns(items)...)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(items))
	index := make(map[string]int, len(items))
	for i, it := range items {
		index[it.cb.Provider+"\x00"+it.cb.TxnID] = i
	}
	var moved []string
	var exceptional []Result
	for rows.Next() {
		var provider, txn string
		var outcome, reason, paymentID *string
		var didMove bool
		if err := rows.Scan(&provider, &txn, &outcome, &reason, &paymentID, &didMove); err != nil {
			return nil, err
		}
		r := &results[index[provider+"\x00"+txn]]
		if outcome == nil {
			r.Duplicate = true
			continue
		}
		r.Outcome, r.Reason, r.PaymentID = banks.Outcome(*outcome), deref(reason), deref(paymentID)
		if didMove {
			moved = append(moved, r.PaymentID)
		} else if r.Outcome == banks.OutcomeException && r.PaymentID != "" {
			exceptional = append(exceptional, *r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.replayDuplicates(ctx, tx, items, results); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return results, s.emit(ctx, tx, moved, exceptional)
}

// columns turns the batch into the statement's parallel arrays.
func (s *Settler) columns(items []*request) []any {
	n := len(items)
	provider, txn, account := make([]string, n), make([]string, n), make([]*string, n)
	payID, code, order := make([]*string, n), make([]*string, n), make([]*string, n)
	amount, fee := make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	ok, currencyOK, live := make([]bool, n), make([]bool, n), make([]bool, n)
	raw := make([][]byte, n)
	for i, it := range items {
		cb := it.cb
		provider[i], txn[i], amount[i], ok[i], raw[i], live[i] = cb.Provider, cb.TxnID, cb.Amount, cb.Succeeded, cb.Raw, cb.Livemode
		payID[i], code[i], order[i], account[i] = opt(cb.PaymentID), opt(cb.PaymentCode), opt(cb.OrderID), opt(cb.Account)
		currencyOK[i] = cb.Currency == "VND"
		if s.Fees != nil && cb.Succeeded {
			fee[i] = s.Fees(cb.Provider).For(cb.Amount)
		}
	}
	return []any{provider, txn, payID, code, order, amount, ok, account, fee, raw, currencyOK, live}
}

const storedOutcomeSQL = `
SELECT outcome, coalesce(exception_reason, ''), coalesce(payment_id, '')
FROM provider_callbacks WHERE provider = $1 AND provider_txn_id = $2`

// replayDuplicates gives a duplicate the outcome of the original, so the
// provider gets the same answer every time it asks.
func (s *Settler) replayDuplicates(ctx context.Context, tx pgx.Tx, items []*request, results []Result) error {
	for i := range results {
		if !results[i].Duplicate {
			continue
		}
		var outcome string
		err := tx.QueryRow(ctx, storedOutcomeSQL, items[i].cb.Provider, items[i].cb.TxnID).Scan(&outcome, &results[i].Reason, &results[i].PaymentID)
		if err != nil {
			return err
		}
		results[i].Outcome = banks.Outcome(outcome)
	}
	return nil
}

// emit writes the portal events of the batch inside its transaction.
func (s *Settler) emit(ctx context.Context, tx pgx.Tx, moved []string, exceptional []Result) error {
	if len(moved) == 0 && len(exceptional) == 0 {
		return nil
	}
	ids := append([]string{}, moved...)
	for _, e := range exceptional {
		ids = append(ids, e.PaymentID)
	}
	list, err := payments.ListByIDs(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	isException := map[string]bool{}
	for _, e := range exceptional {
		isException[e.PaymentID] = true
	}
	evs := make([]events.Event, 0, len(list))
	for _, p := range list {
		typ := events.PaymentSucceeded
		switch {
		case isException[p.ID]:
			typ = events.PaymentException
		case p.Status == payments.Failed:
			typ = events.PaymentFailed
		}
		evs = append(evs, events.Event{Type: typ, PortalID: p.PortalID, Livemode: p.Livemode, PaymentID: p.ID, Object: p.EventView()})
	}
	return s.Outbox.Emit(ctx, tx, evs...)
}

func (s *Settler) observe(round []*request, results []Result, err error) {
	if s.Metrics == nil {
		return
	}
	s.Metrics.SettlementBatch.Observe(float64(len(round)))
	for i, r := range round {
		outcome := string(banks.OutcomeError)
		if err == nil {
			outcome = string(results[i].Outcome)
			if results[i].Duplicate {
				outcome = "duplicate"
			}
		}
		s.Metrics.Callbacks.WithLabelValues(r.cb.Provider, outcome).Inc()
	}
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
