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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/insurance"
	"github.com/civicpay/civicpay/gateway/metrics"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/receipts"
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
	// Grace is how long after a payment's expiry a bank transfer booked
	// before it still settles (DefaultGrace when zero).
	Grace time.Duration
	// MaxDeclines is the declined attempt that fails the payment for good
	// (DefaultMaxDeclines when zero).
	MaxDeclines int
	// Receipts, when set, issues the receipts of the payments a group
	// settles, in its transaction (gateway/receipts).
	Receipts *receipts.Issuer

	seq atomic.Int64

	once sync.Once
	q    *batch.Queue[*request]
}

type request struct {
	cb   banks.Callback
	seq  int64 // order of receipt
	done chan response
}

// Defaults of the settlement rules (docs/ARCHITECTURE.md).
const (
	DefaultGrace       = 24 * time.Hour
	DefaultMaxDeclines = 5
)

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
	req := &request{cb: cb, seq: s.seq.Add(1), done: make(chan response, 1)}
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

// process settles a batch. Repeats of one callback (same provider and
// transaction id) share their leader's result; settle.sql itself decides
// which callback acts on a payment first, once every callback is resolved
// to its payment.
func (s *Settler) process(ctx context.Context, pending []*request) {
	var round []*request
	leaders := map[string]*request{}
	followers := map[*request][]*request{}
	for _, r := range pending {
		key := r.cb.Provider + "\x00" + r.cb.TxnID
		if l, ok := leaders[key]; ok {
			followers[l] = append(followers[l], r)
			continue
		}
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
}

// SettleAll settles cbs as one group, in their order of receipt, and
// waits for it. It is for callers that hold many callbacks at once
// (reconciliation, the status queries) and for tests that need a known
// grouping; a callback handler calls Settle.
func (s *Settler) SettleAll(ctx context.Context, cbs ...banks.Callback) ([]Result, error) {
	s.init()
	reqs := make([]*request, len(cbs))
	for i, cb := range cbs {
		reqs[i] = &request{cb: cb, seq: s.seq.Add(1), done: make(chan response, 1)}
	}
	s.process(ctx, reqs)
	out := make([]Result, len(reqs))
	for i, r := range reqs {
		resp := <-r.done
		if resp.err != nil {
			return nil, resp.err
		}
		out[i] = resp.res
	}
	return out, nil
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

// exec settles items inside tx. settle.sql lets one callback per payment
// (and per bank transaction) act per statement and hands back the others
// as deferred; they run again, in the same transaction, after the first
// one's effects, so each gets its own honest outcome.
func (s *Settler) exec(ctx context.Context, tx pgx.Tx, items []*request) ([]Result, error) {
	results := make([]Result, len(items))
	index := make(map[string]int, len(items))
	for i, it := range items {
		index[it.cb.Provider+"\x00"+it.cb.TxnID] = i
	}
	todo := items
	var paid []string
	for len(todo) > 0 {
		deferred, moves, err := s.round(ctx, tx, todo, results, index)
		if err != nil {
			return nil, err
		}
		if err := s.emit(ctx, tx, moves); err != nil {
			return nil, err
		}
		for _, m := range moves {
			if m.event == events.PaymentSucceeded {
				paid = append(paid, m.paymentID)
			}
		}
		if len(deferred) == len(todo) {
			return nil, fmt.Errorf("settlement: no callback of %d could act", len(todo))
		}
		todo = deferred
	}
	// Once for the whole group, after every round: its receipt counters
	// are then locked once, in one fixed order.
	if s.Receipts != nil {
		if _, err := s.Receipts.IssueFor(ctx, tx, paid); err != nil {
			return nil, err
		}
	}
	if err := s.replayDuplicates(ctx, tx, items, results); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return results, nil
}

// move is one change a statement made that the portal hears of.
type move struct {
	paymentID string
	event     string
}

// round runs settle.sql once over todo, fills the results of the callbacks
// that acted and returns those deferred to the next round.
func (s *Settler) round(ctx context.Context, tx pgx.Tx, todo []*request, results []Result, index map[string]int) ([]*request, []move, error) {
	rows, err := tx.Query(ctx, settleSQL, s.columns(todo)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	at := make(map[string]*request, len(todo))
	for _, r := range todo {
		at[r.cb.Provider+"\x00"+r.cb.TxnID] = r
	}
	var deferred []*request
	var moves []move
	for rows.Next() {
		var provider, txn string
		var outcome, reason, paymentID, newStatus *string
		var didMove, isDeferred bool
		if err := rows.Scan(&provider, &txn, &outcome, &reason, &paymentID, &didMove, &newStatus, &isDeferred); err != nil {
			return nil, nil, err
		}
		key := provider + "\x00" + txn
		if isDeferred {
			deferred = append(deferred, at[key])
			continue
		}
		i := index[key]
		r := &results[i]
		if outcome == nil {
			r.Duplicate = true
			continue
		}
		r.Outcome, r.Reason, r.PaymentID = banks.Outcome(*outcome), deref(reason), deref(paymentID)
		if m, ok := moveOf(*r, didMove, deref(newStatus)); ok {
			moves = append(moves, m)
		}
	}
	return deferred, moves, rows.Err()
}

// moveOf names the event a callback's effect gives the portal, if any.
func moveOf(r Result, moved bool, status string) (move, bool) {
	switch {
	case moved && status == string(payments.Succeeded):
		return move{paymentID: r.PaymentID, event: events.PaymentSucceeded}, true
	case moved && status == string(payments.Failed):
		return move{paymentID: r.PaymentID, event: events.PaymentFailed}, true
	case moved:
		return move{paymentID: r.PaymentID, event: events.PaymentAttemptFailed}, true
	case r.Outcome == banks.OutcomeException && r.PaymentID != "":
		return move{paymentID: r.PaymentID, event: events.PaymentException}, true
	}
	return move{}, false
}

// columns turns the batch into the statement's parallel arrays; ord is
// the order of receipt, which decides who acts first on a payment.
func (s *Settler) columns(items []*request) []any {
	n := len(items)
	provider, txn, account := make([]string, n), make([]string, n), make([]*string, n)
	payID, code, order := make([]*string, n), make([]*string, n), make([]*string, n)
	amount, fee := make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	ok, currencyOK, live := make([]bool, n), make([]bool, n), make([]bool, n)
	raw := make([][]byte, n)
	booked, bankRef, resultCode, message := make([]*time.Time, n), make([]*string, n), make([]*string, n), make([]*string, n)
	ord := make([]int64, n)
	for i, it := range items {
		cb := it.cb
		provider[i], txn[i], amount[i], ok[i], raw[i], live[i] = cb.Provider, cb.TxnID, cb.Amount, cb.Succeeded, cb.Raw, cb.Livemode
		payID[i], code[i], order[i], account[i] = opt(cb.PaymentID), opt(cb.PaymentCode), opt(cb.OrderID), opt(cb.Account)
		bankRef[i], resultCode[i], message[i] = opt(cb.BankRef), opt(cb.ResultCode), opt(cb.Message)
		if !cb.BookedAt.IsZero() {
			t := cb.BookedAt
			booked[i] = &t
		}
		currencyOK[i] = cb.Currency == "VND"
		// Only used where no issued attempt holds the fee agreed at issue
		// (a transfer made without a QR, an amount other than the
		// payment's): the provider's price today, on what arrived.
		if s.Fees != nil && cb.Succeeded {
			fee[i] = s.Fees(cb.Provider).For(cb.Amount)
		}
		ord[i] = it.seq
	}
	return []any{provider, txn, payID, code, order, amount, ok, account, fee, raw, currencyOK, live,
		booked, bankRef, resultCode, message, ord, s.grace(), s.maxDeclines()}
}

func (s *Settler) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return DefaultGrace
}

func (s *Settler) maxDeclines() int32 {
	if s.MaxDeclines > 0 {
		return int32(s.MaxDeclines)
	}
	return DefaultMaxDeclines
}

// storedOutcomeSQL finds the callback a duplicate repeats: the same
// provider transaction, or for a bank transfer the same bank transaction
// reported by another feed.
const storedOutcomeSQL = `
SELECT id, outcome, coalesce(exception_reason, ''), coalesce(payment_id, ''), provider_txn_id = $2
FROM provider_callbacks
WHERE provider = $1 AND (provider_txn_id = $2 OR ($4::text IS NOT NULL AND bank_account = $3 AND bank_ref = $4))
ORDER BY provider_txn_id = $2 DESC LIMIT 1`

// recordReportSQL notes that another feed reported a recorded transfer.
const recordReportSQL = `
INSERT INTO callback_reports (provider, provider_txn_id, callback_id) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING`

// replayDuplicates gives a duplicate the outcome of the original, so the
// provider gets the same answer every time it asks.
func (s *Settler) replayDuplicates(ctx context.Context, tx pgx.Tx, items []*request, results []Result) error {
	for i := range results {
		if !results[i].Duplicate {
			continue
		}
		cb := items[i].cb
		var id int64
		var outcome string
		var same bool
		err := tx.QueryRow(ctx, storedOutcomeSQL, cb.Provider, cb.TxnID, cb.Account, opt(cb.BankRef)).
			Scan(&id, &outcome, &results[i].Reason, &results[i].PaymentID, &same)
		if err != nil {
			return err
		}
		results[i].Outcome = banks.Outcome(outcome)
		if !same {
			if _, err := tx.Exec(ctx, recordReportSQL, cb.Provider, cb.TxnID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// emit writes the portal events of one statement inside its transaction,
// each with the payment as it stands after that statement.
func (s *Settler) emit(ctx context.Context, tx pgx.Tx, moves []move) error {
	if len(moves) == 0 {
		return nil
	}
	ids := make([]string, len(moves))
	for i, m := range moves {
		ids[i] = m.paymentID
	}
	list, err := payments.ListByIDs(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	byID := make(map[string]payments.Payment, len(list))
	for _, p := range list {
		byID[p.ID] = p
	}
	evs := make([]events.Event, 0, len(moves))
	var succeeded []string
	for _, m := range moves {
		p, ok := byID[m.paymentID]
		if !ok {
			continue
		}
		evs = append(evs, events.Event{Type: m.event, PortalID: p.PortalID, Livemode: p.Livemode, PaymentID: p.ID, Object: p.EventView()})
		if m.event == events.PaymentSucceeded {
			succeeded = append(succeeded, p.ID)
		}
	}
	// Social insurance hook: succeeded payments made for an SI unit's
	// balance are allocated to its obligations in this same transaction
	// (one statement; payments not for a unit are left alone).
	if err := insurance.AllocateAll(ctx, tx, succeeded); err != nil {
		return err
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
