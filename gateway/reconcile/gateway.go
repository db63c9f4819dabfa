package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// loadSQL reads the gateway's callbacks received in [$1, $2): one pass in
// received order over the day's rows, streamed, never all in memory at
// once on either side.
const loadSQL = `
SELECT provider, provider_txn_id,
       -- numeric(20,0) can exceed bigint; such an amount equals no report line's
       CASE WHEN abs(amount) > 9223372036854775807 THEN -1 ELSE amount END::bigint,
       succeeded, outcome, received_at
FROM provider_callbacks
WHERE received_at >= $1 AND received_at < $2`

// loaded is the span of received times whose callbacks are in the index.
type loaded struct{ from, to time.Time }

// cover makes sure every callback received in [from−Slack, to+Slack) is
// in the index, loading only what is not yet.
func (m *matcher) cover(ctx context.Context, from, to time.Time) error {
	from, to = from.Add(-Slack), to.Add(Slack)
	if m.span.from.IsZero() {
		m.span = loaded{from, from}
	}
	if from.Before(m.span.from) {
		if err := m.load(ctx, from, m.span.from); err != nil {
			return err
		}
		m.span.from = from
	}
	if to.After(m.span.to) {
		if err := m.load(ctx, m.span.to, to); err != nil {
			return err
		}
		m.span.to = to
	}
	return nil
}

// load adds the callbacks received in [from, to). A key the report already
// named (a line that went to the lookup) gets the callback's fields and is
// not counted again.
func (m *matcher) load(ctx context.Context, from, to time.Time) error {
	rows, err := m.pool.Query(ctx, loadSQL, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	// The text columns are read in place (DriverBytes, good until the next
	// row): a million callbacks would otherwise be three million strings
	// for the collector to chase.
	var (
		provider, txn, outcome pgtype.DriverBytes
		amount                 pgtype.Int8
		ok                     bool
		at                     time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&provider, &txn, &amount, &ok, &outcome, &at); err != nil {
			return err
		}
		p, fits := m.idx.provider(string(provider))
		if !fits || len(txn) > maxTxn {
			return fmt.Errorf("callback %s/%.40s: more than 255 providers or an id over %d bytes", provider, txn, maxTxn)
		}
		e := m.idx.at(m.idx.get(p, string(txn)))
		if e.flags&fromGateway != 0 {
			continue
		}
		e.flags |= fromGateway
		e.received = at.UnixMicro()
		if amount.Valid {
			e.flags |= hasAmount
			e.amount = amount.Int64
		}
		if ok {
			e.flags |= paid
		}
		switch string(outcome) {
		case "settled":
			e.flags |= settled
		case "exception":
			e.flags |= exception
		}
	}
	return rows.Err()
}

// lookupSQL finds, by key, the callbacks of report lines the window's
// callbacks did not match (received long before or after the window), and
// says for the lines that have none whether their order names one of our
// payments.
const lookupSQL = `
SELECT r.n, c.found IS NOT NULL, CASE WHEN abs(c.amount) > 9223372036854775807 THEN -1 ELSE c.amount END::bigint, coalesce(c.succeeded, false), coalesce(c.outcome, ''),
       c.found IS NULL AND EXISTS (SELECT 1 FROM payments p WHERE p.id = r.payment)
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS r(n, provider, txn, payment)
LEFT JOIN LATERAL (
    SELECT true AS found, c.amount, c.succeeded, c.outcome FROM provider_callbacks c
    WHERE c.provider = r.provider AND c.provider_txn_id = r.txn
) c ON true`

// lookupBatch is how many unmatched lines one lookup takes.
const lookupBatch = 1000

// pending is a report line waiting for the lookup.
type pending struct {
	n                      int32 // its position in the batch
	provider, txn, payment string
	amount                 int64
	order                  string
	at                     time.Time
}

// lookup classifies the pending lines.
func (m *matcher) lookup(ctx context.Context) error {
	if len(m.pending) == 0 {
		return nil
	}
	ns := make([]int32, len(m.pending))
	providers := make([]string, len(m.pending))
	txns := make([]string, len(m.pending))
	payments := make([]string, len(m.pending))
	for i, p := range m.pending {
		ns[i], providers[i], txns[i], payments[i] = int32(i), p.provider, p.txn, p.payment
	}
	rows, err := m.pool.Query(ctx, lookupSQL, ns, providers, txns, payments)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n                int32
			found, ok, known bool
			amount           *int64
			outcome          string
		)
		if err := rows.Scan(&n, &found, &amount, &ok, &outcome, &known); err != nil {
			return err
		}
		if n < 0 || int(n) >= len(m.pending) {
			return fmt.Errorf("lookup returned line %d of %d", n, len(m.pending))
		}
		g := callback{found: found, succeeded: ok, exception: outcome == "exception"}
		if amount != nil {
			g.amount, g.hasAmount = *amount, true
		}
		p := m.pending[n]
		m.count(p.amount, g, known)
		if !found && m.opt.Missing != nil {
			m.opt.Missing(Missing{Provider: p.provider, TxnID: p.txn, OrderID: p.order, Amount: p.amount, At: p.at})
		}
	}
	m.pending = m.pending[:0]
	return rows.Err()
}
