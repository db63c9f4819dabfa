package settlement_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/gateway/settlement"
)

// TestMoneyModel is a randomized check of the money rules in the spirit of
// TigerBeetle's simulator: random interleavings of callbacks from every
// kind of provider (success, decline, duplicate, wrong amount, late, the
// same transfer from both feeds, concurrent on two settlers), expiries and
// cancels, refunds with random answers (two at once), with the invariants read from the database after every step.
// It is reproducible from its seed: CIVICPAY_MODEL_SEED=<seed> reruns a
// failure; CIVICPAY_MODEL_STEPS sets the length (make fuzz runs it longer).
func TestMoneyModel(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CIVICPAY_MODEL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 300
	if s := os.Getenv("CIVICPAY_MODEL_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d, %d steps (rerun with CIVICPAY_MODEL_SEED=%d)", seed, steps, seed)
	m := newModel(t, seed)
	for i := range steps {
		op := m.step()
		if err := m.check(); err != nil {
			t.Fatalf("seed %d, step %d (%s): %v", seed, i, op, err)
		}
	}
	t.Logf("%d callbacks sent (%d duplicates), %d distinct money movements, %d refunds (%d succeeded), %d payments paid",
		len(m.sent), m.dups, len(m.money), m.f.g.Count(t, `SELECT count(*) FROM refunds`),
		m.f.g.Count(t, `SELECT count(*) FROM refunds WHERE status = 'succeeded'`),
		m.f.g.Count(t, `SELECT count(*) FROM payments WHERE status IN ('succeeded', 'refunded', 'partially_refunded')`))
}

type model struct {
	t        *testing.T
	f        *fixture
	settlers [2]*settlement.Settler
	rnd      *rand.Rand
	ids      []string
	codes    map[string]string
	account  string
	sent     []banks.Callback // every callback sent, for duplicates
	money    map[string]decimal.Decimal
	dups     int
	next     int
}

func newModel(t *testing.T, seed uint64) *model {
	f := newFixture(t)
	// Both settlers issue receipts, as the gateway's do.
	f.settler.Receipts = f.g.App.Receipts
	other := newSettler(t, f.g)
	other.Receipts = f.g.App.Receipts
	m := &model{t: t, f: f, settlers: [2]*settlement.Settler{f.settler, other},
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), codes: map[string]string{}, money: map[string]decimal.Decimal{}}
	f.g.Pool.QueryRow(context.Background(), `SELECT account_number FROM agencies WHERE code = 'KBNN-HN'`).Scan(&m.account)
	for i := range 10 {
		id, code := f.pay(t, fmt.Sprintf("HS-MDL-%06d", i))
		m.ids = append(m.ids, id)
		m.codes[id] = code
	}
	return m
}

func (m *model) uid(prefix string) string {
	m.next++
	return prefix + strconv.Itoa(m.next)
}

func (m *model) payment() string { return m.ids[m.rnd.IntN(len(m.ids))] }

// amount is mostly right, sometimes not.
func (m *model) amount() decimal.Decimal {
	if m.rnd.IntN(6) == 0 {
		return decimal.NewFromInt(int64(100000 + m.rnd.IntN(3)*17500))
	}
	return decimal.NewFromInt(135000)
}

// callback makes one random callback; ok means it carries money.
func (m *model) callback() banks.Callback {
	id := m.payment()
	ctx := context.Background()
	switch m.rnd.IntN(4) {
	case 0, 1: // a wallet's answer about its latest order (issued now if none)
		var order string
		if m.f.g.Pool.QueryRow(ctx, `SELECT order_id FROM payment_attempts WHERE payment_id = $1 ORDER BY attempt DESC LIMIT 1`, id).Scan(&order) != nil || m.rnd.IntN(3) == 0 {
			var status string
			m.f.g.Pool.QueryRow(ctx, `SELECT status::text FROM payments WHERE id = $1`, id).Scan(&status)
			if payments.Status(status).Open() {
				order = m.f.issue(m.t, id, "momo", int64(1000+m.rnd.IntN(2000)))
			}
		}
		if order == "" {
			order = banks.OrderID(id, 1)
		}
		if m.rnd.IntN(2) == 0 {
			return decline(id, order, m.uid("d"), "1006")
		}
		cb := momo(id, m.uid("m"), "0")
		cb.OrderID, cb.Amount = order, m.amount()
		m.money["momo:"+cb.TxnID] = cb.Amount
		return cb
	default: // a bank transfer, booked now or late, maybe from both feeds
		booked := time.Now()
		if m.rnd.IntN(5) == 0 {
			booked = booked.Add(-48 * time.Hour)
		}
		ref := m.uid("FT")
		cb := banks.Callback{Provider: "vietqr", TxnID: m.uid("casso:"), PaymentCode: m.codes[id], Account: m.account,
			Amount: m.amount(), Currency: "VND", Succeeded: true, BookedAt: booked, BankRef: ref, Raw: []byte(`{}`)}
		if m.rnd.IntN(4) == 0 {
			cb.PaymentCode = "CPZZZZZZZZ" // unknown reference
		}
		m.money["bank:"+ref] = cb.Amount
		return cb
	}
}

func (m *model) settle(cbs ...banks.Callback) {
	var wg sync.WaitGroup
	for _, cb := range cbs {
		settler := m.settlers[m.rnd.IntN(2)] // drawn here: the seed decides, not the scheduler
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := settler.Settle(context.Background(), cb); err != nil {
				m.t.Errorf("settle %s %s: %v", cb.Provider, cb.TxnID, err)
			}
		}()
	}
	wg.Wait()
	m.sent = append(m.sent, cbs...)
}

// step runs one random operation and names it.
func (m *model) step() string {
	ctx := context.Background()
	switch k := m.rnd.IntN(10); {
	case k < 4:
		m.settle(m.callback())
		return "callback"
	case k < 6: // several at once on both settlers
		n := 2 + m.rnd.IntN(4)
		cbs := make([]banks.Callback, n)
		for i := range cbs {
			cbs[i] = m.callback()
		}
		m.settle(cbs...)
		return "concurrent callbacks"
	case k == 6 && len(m.sent) > 0: // a duplicate, or the same transfer from the other feed
		cb := m.sent[m.rnd.IntN(len(m.sent))]
		if cb.BankRef != "" && m.rnd.IntN(2) == 0 {
			cb.TxnID = m.uid("sepay:")
		}
		m.dups++
		m.settle(cb, cb)
		return "duplicates"
	case k == 7: // expiry
		id := m.payment()
		m.f.g.Pool.Exec(ctx, `UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = $1 AND status IN ('requires_payment_method', 'pending')`, id)
		err := pgx.BeginFunc(ctx, m.f.g.Pool, func(tx pgx.Tx) error {
			_, err := payments.ExpireDue(ctx, tx, m.f.g.Deps.Outbox, time.Now(), 100)
			return err
		})
		if err != nil {
			m.t.Fatal(err)
		}
		return "expiry"
	case k == 8 && m.rnd.IntN(3) == 0: // cancel
		m.f.g.Do(m.t, "POST", "/v1/payments/"+m.payment()+"/cancel", m.f.g.Portal.TestKey, nil)
		return "cancel"
	case k == 8: // a refund of part of what is left, sometimes too much
		id := m.payment()
		amount := 1 + m.rnd.IntN(80000)
		m.f.g.Do(m.t, "POST", "/v1/payments/"+id+"/refunds", m.f.g.Portal.TestKey,
			map[string]any{"amount": strconv.Itoa(amount)}, "Idempotency-Key", m.uid("rf-"))
		return "refund"
	case k == 9 && m.rnd.IntN(2) == 0: // providers answer pending refunds, twice at once
		var id string
		if m.f.g.Pool.QueryRow(ctx, `SELECT id FROM refunds WHERE status = 'pending' ORDER BY random() LIMIT 1`).Scan(&id) != nil {
			return "no refund to answer"
		}
		var wg sync.WaitGroup
		for range 2 {
			ok := m.rnd.IntN(3) > 0
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := refunds.Finish(ctx, m.f.g.Pool, m.f.g.Deps.Outbox, id, refunds.Outcome{Succeeded: ok, Code: "declined"})
				if err != nil && !errors.Is(err, refunds.ErrNotPending) {
					m.t.Errorf("finish refund %s: %v", id, err)
				}
			}()
		}
		wg.Wait()
		return "refund answers"
	default: // a new payment
		id, code := m.f.pay(m.t, m.uid("HS-MDL-N"))
		m.ids = append(m.ids, id)
		m.codes[id] = code
		return "new payment"
	}
}

// check reads the invariants from the database.
func (m *model) check() error {
	ctx := context.Background()
	checks := []struct {
		what string
		sql  string
	}{
		{"a payment is paid iff it has exactly one settlement entry", `
			SELECT count(*) FROM payments p
			WHERE (p.status IN ('succeeded', 'refunded', 'partially_refunded'))
			   <> ((SELECT count(*) FROM journal_entries e WHERE e.payment_id = p.id AND e.kind = 'settlement') = 1)
			   OR (SELECT count(*) FROM journal_entries e WHERE e.payment_id = p.id AND e.kind = 'settlement') > 1`},
		{"every entry balances", `SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0) x`},
		{"the agency is credited with its paid payments less what is refunded or reserved", `
			SELECT count(*) WHERE coalesce((SELECT -sum(amount) FROM postings WHERE account_id = 'test:beneficiary:KBNN-HN'), 0)
			   <> coalesce((SELECT sum(amount - amount_refunded - amount_refund_pending) FROM payments
			                WHERE status IN ('succeeded', 'refunded', 'partially_refunded')), 0)`},
		{"a payment's refund amounts are its refunds'", `
			SELECT count(*) FROM payments p
			WHERE p.amount_refunded <> coalesce((SELECT sum(amount) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0)
			   OR p.amount_refund_pending <> coalesce((SELECT sum(amount) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'pending'), 0)`},
		{"no refund paid or released twice", `
			SELECT count(*) FROM refunds r
			WHERE (SELECT count(*) FROM journal_entries e WHERE e.refund_id = r.id) <> CASE WHEN r.status = 'pending' THEN 1 ELSE 2 END
			   OR (SELECT count(*) FROM events e WHERE e.type IN ('refund.succeeded', 'refund.failed') AND e.data->'data'->'object'->>'id' = r.id)
			      <> CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END`},
		{"suspense holds the money of open exceptions", `
			SELECT count(*) WHERE coalesce((SELECT -sum(amount) FROM postings WHERE account_id = 'test:suspense'), 0)
			   <> coalesce((SELECT sum(amount) FROM provider_callbacks WHERE outcome = 'exception' AND review_status = 'open'), 0)`},
		{"one succeeded event per paid payment", `
			SELECT count(*) FROM payments p
			WHERE (SELECT count(*) FROM events e WHERE e.payment_id = p.id AND e.type = 'payment.succeeded')
			   <> CASE WHEN p.status IN ('succeeded', 'refunded', 'partially_refunded') THEN 1 ELSE 0 END`},
		{"one receipt per paid payment, numbered without a gap", `
			SELECT (SELECT count(*) FROM payments p
			        WHERE (p.status IN ('succeeded', 'refunded', 'partially_refunded'))
			           <> EXISTS (SELECT 1 FROM receipts r WHERE r.payment_id = p.id))
			     + (SELECT count(*) FROM receipt_counters c
			        WHERE c.last <> (SELECT count(*) FROM receipts r WHERE (r.agency_code, r.series, r.year) = (c.agency_code, c.series, c.year))
			           OR c.last <> coalesce((SELECT max(number) FROM receipts r WHERE (r.agency_code, r.series, r.year) = (c.agency_code, c.series, c.year)), 0))`},
		{"no closing event twice", `
			SELECT count(*) FROM (SELECT 1 FROM events WHERE type IN ('payment.failed', 'payment.expired', 'payment.canceled')
			GROUP BY payment_id, type HAVING count(*) > 1) x`},
		{"an attempt_failed event per decline that reopened the payment", `
			SELECT count(*) FROM payments p
			WHERE (SELECT count(*) FROM events e WHERE e.payment_id = p.id AND e.type = 'payment.attempt_failed')
			   > (SELECT count(*) FROM provider_callbacks c WHERE c.payment_id = p.id AND c.outcome = 'failed')`},
	}
	for _, c := range checks {
		var bad int
		if err := m.f.g.Pool.QueryRow(ctx, c.sql).Scan(&bad); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
		if bad != 0 {
			return fmt.Errorf("%s: %d violations", c.what, bad)
		}
	}
	// No money lost, none counted twice: every distinct movement of money
	// sent is in the ledger once, settled or held in suspense.
	want := decimal.Zero
	for _, a := range m.money {
		want = want.Add(a)
	}
	var got, refunded decimal.Decimal
	if err := m.f.g.Pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM postings
		WHERE account_id LIKE 'test:provider_clearing:%' OR account_id LIKE 'test:provider_fees:%'`).Scan(&got); err != nil {
		return err
	}
	if err := m.f.g.Pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM refunds WHERE status = 'succeeded'`).Scan(&refunded); err != nil {
		return err
	}
	want = want.Sub(refunded) // paid back out of what the providers hold
	if !got.Equal(want) {
		return fmt.Errorf("money received %s, ledger holds %s", want, got)
	}
	return nil
}
