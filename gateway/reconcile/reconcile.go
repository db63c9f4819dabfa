// Package reconcile checks a provider's settlement report against what the
// gateway recorded. The gateway's callbacks of the report's days are read
// once, in one streamed pass, into a compact in-memory index (about 40
// bytes a callback); the report is then streamed past it (encoding/csv,
// one record at a time) and each line is classified as it is read. Lines
// the index cannot place (callbacks received long before or after the
// window, unknown orders) are looked up by key in batches. Memory follows
// the callbacks of the report's days (plus the report's keys that match
// none of them), and the database does a scan and a few lookups instead of
// loading and joining a million-row staging table.
//
// The report is CSV with the header
//
//	provider,txn_id,order_id,amount,status,time
//
// provider is the gateway's provider name (vietqr, momo, zalopay, vnpay),
// txn_id the provider's transaction id (the gateway's dedupe key), order_id
// the order id the provider was given, amount whole đồng, status success
// (or succeeded, paid, 00) for money collected and anything else for a
// transaction that did not collect money, and time RFC 3339 or
// "2006-01-02 15:04:05" in Vietnam time.
package reconcile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/civicpay/civicpay/banks"
)

// Header is the report's first line, field for field.
var Header = []string{"provider", "txn_id", "order_id", "amount", "status", "time"}

// ICT is Vietnam time, the zone of reports that write local timestamps.
var ICT = time.FixedZone("ICT", 7*3600)

// Slack widens the span of callbacks read into the index beyond the
// report's days: a callback can arrive a little before or after the
// provider's own timestamp. Lines still unmatched are looked up by key, so
// Slack only saves lookups; it never changes a count.
const Slack = 2 * time.Hour

// Options narrow a run.
type Options struct {
	// From and To bound the gateway side: a successful callback received
	// in [From, To) from one of the report's providers that the report
	// lacks is missing at the provider. Zero values take the report's own
	// span, widened to whole days in Vietnam time (reports are daily).
	From, To time.Time
	// Missing, when set, is given each line missing at the gateway that
	// has no callback at all — what SettleMissing can act on.
	Missing func(Missing)
}

// Result counts each class of line.
type Result struct {
	Lines   int64 `json:"lines"`   // data lines read
	Ignored int64 `json:"ignored"` // lines that did not collect money
	// Duplicates are lines repeating an earlier line's (provider, txn_id);
	// only the first counts.
	Duplicates int64 `json:"duplicates"`
	// Matched: both sides have it with the same amount.
	Matched int64 `json:"matched"`
	// Exceptions are matched lines the gateway holds for review (a wrong
	// amount at the payment, an unknown reference, a late payment…): the
	// money is in suspense.
	Exceptions int64 `json:"exceptions"`
	// AmountMismatch: both sides have it, the amounts differ.
	AmountMismatch int64 `json:"amount_mismatch"`
	// MissingAtGateway: collected by the provider, never recorded here;
	// KnownPayment of them name one of our payments (a lost callback to
	// replay), the rest are unknown orders.
	MissingAtGateway int64 `json:"missing_at_gateway"`
	KnownPayment     int64 `json:"missing_at_gateway_known_payment"`
	// MissingAtProvider: recorded here as collected in the window, absent
	// from the report (or reported as not collected).
	MissingAtProvider int64     `json:"missing_at_provider"`
	From              time.Time `json:"from"`
	To                time.Time `json:"to"`
}

// LineError is a report line that cannot be read.
type LineError struct {
	Line int64
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("report line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrHeader is a report whose first line is not Header.
var ErrHeader = errors.New("the report's header must be " + strings.Join(Header, ","))

// maxTxn bounds a transaction id; providers' are a few dozen bytes.
const maxTxn = 1024

// MaxSpan bounds the days one run reconciles: the index holds every
// callback of the span, so a stray date years off must not pull in the
// whole table. Reports are daily; a month is already a lot.
const MaxSpan = 31 * 24 * time.Hour

// ErrSpan is a report, or a window, longer than MaxSpan.
var ErrSpan = errors.New("reconcile at most 31 days at once; split the report by day")

// Run reconciles the report read from r.
func Run(ctx context.Context, pool *pgxpool.Pool, r io.Reader, opt Options) (Result, error) {
	src, err := newSource(r)
	if err != nil {
		return Result{}, err
	}
	m := &matcher{pool: pool, idx: newIndex(), opt: opt}
	if !opt.From.IsZero() && !opt.To.IsZero() {
		if opt.To.Sub(opt.From) > MaxSpan {
			return Result{}, ErrSpan
		}
		if err := m.cover(ctx, opt.From, opt.To); err != nil {
			return Result{}, err
		}
	}
	lines := make(chan []row, 16)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return src.read(gctx, lines) })
	g.Go(func() error { return m.match(gctx, lines) })
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	res := m.res
	res.Lines = src.line - 1
	res.From, res.To = opt.From, opt.To
	if res.Lines == 0 {
		return res, nil
	}
	if res.From.IsZero() {
		res.From = dayOf(src.min)
	}
	if res.To.IsZero() {
		res.To = dayOf(src.max).AddDate(0, 0, 1)
	}
	if res.To.Sub(res.From) > MaxSpan {
		return Result{}, ErrSpan
	}
	if err := m.cover(ctx, res.From, res.To); err != nil {
		return Result{}, err
	}
	res.MissingAtProvider = m.missingAtProvider(res.From, res.To)
	return res, nil
}

// dayOf is the start of t's day in Vietnam time; reports are daily.
func dayOf(t time.Time) time.Time {
	y, mo, d := t.In(ICT).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, ICT)
}

// matcher classifies lines against the index.
type matcher struct {
	pool    *pgxpool.Pool
	idx     *index
	opt     Options
	span    loaded
	pending []pending
	res     Result
	// reported marks the providers the report names; only their callbacks
	// can be missing at the provider.
	reported [256]bool
}

// match takes every line, in order.
func (m *matcher) match(ctx context.Context, lines <-chan []row) error {
	for b := range lines {
		for i := range b {
			if err := m.line(ctx, &b[i]); err != nil {
				return err
			}
		}
	}
	return m.lookup(ctx)
}

// line classifies one line, or sends it to the lookup.
func (m *matcher) line(ctx context.Context, r *row) error {
	if err := m.coverLine(ctx, r.line, r.at); err != nil {
		return err
	}
	p, ok := m.idx.provider(r.provider)
	if !ok {
		return &LineError{Line: r.line, Err: errors.New("the report names more than 255 providers")}
	}
	m.reported[p] = true
	e := m.idx.at(m.idx.get(p, r.txn))
	if e.flags&seen != 0 {
		m.res.Duplicates++ // only a key's first line counts
		return nil
	}
	e.flags |= seen
	if !r.succeeded {
		m.res.Ignored++
		return nil
	}
	e.flags |= collected
	if e.flags&fromGateway != 0 {
		m.count(r.amount, e.callback(), false)
		return nil
	}
	m.pending = append(m.pending, pending{provider: r.provider, txn: r.txn, payment: r.payment, amount: r.amount, order: r.order, at: r.at})
	if len(m.pending) == lookupBatch {
		return m.lookup(ctx)
	}
	return nil
}

// coverLine widens the index to the line's day unless Options fixed that
// side of the window.
func (m *matcher) coverLine(ctx context.Context, line int64, at time.Time) error {
	if !m.span.from.IsZero() && !at.Before(m.span.from.Add(Slack)) && at.Before(m.span.to.Add(-Slack)) {
		return nil // the common case: a day already read
	}
	from := dayOf(at)
	to := from.AddDate(0, 0, 1)
	if !m.opt.From.IsZero() {
		from = m.opt.From
	}
	if !m.opt.To.IsZero() {
		to = m.opt.To
	}
	if !from.Before(to) {
		return nil
	}
	if to.Sub(from) > MaxSpan {
		return &LineError{Line: line, Err: ErrSpan}
	}
	if !m.span.from.IsZero() {
		lo, hi := m.span.from.Add(Slack), m.span.to.Add(-Slack)
		if from.Before(lo) {
			lo = from
		}
		if to.After(hi) {
			hi = to
		}
		if hi.Sub(lo) > MaxSpan {
			return &LineError{Line: line, Err: ErrSpan}
		}
	}
	return m.cover(ctx, from, to)
}

// callback is the gateway's side of a line.
type callback struct {
	found, succeeded, exception, hasAmount bool
	amount                                 int64
}

func (e *entry) callback() callback {
	return callback{found: true, succeeded: e.flags&paid != 0, exception: e.flags&exception != 0,
		hasAmount: e.flags&hasAmount != 0, amount: e.amount}
}

// count classifies a line that reported money collected. known says its
// order names one of our payments (asked only when no callback was found).
func (m *matcher) count(amount int64, g callback, known bool) {
	switch {
	case !g.succeeded:
		m.res.MissingAtGateway++
		if !g.found && known {
			m.res.KnownPayment++
		}
	case !g.hasAmount: // a callback without an amount compares with nothing
	case amount == g.amount:
		m.res.Matched++
		if g.exception {
			m.res.Exceptions++
		}
	default:
		m.res.AmountMismatch++
	}
}

// missingAtProvider counts the callbacks received in [from, to) that booked
// money (settled, or held for review) from a provider the report covers,
// with no line reporting the money collected.
func (m *matcher) missingAtProvider(from, to time.Time) int64 {
	lo, hi := from.UnixMicro(), to.UnixMicro()
	var n int64
	for i := range m.idx.n {
		e := m.idx.at(i)
		booked := e.flags&fromGateway != 0 && e.flags&paid != 0 && e.flags&(settled|exception) != 0
		if booked && e.flags&collected == 0 && m.reported[e.provider] && e.received >= lo && e.received < hi {
			n++
		}
	}
	return n
}

// source reads the report one line at a time.
type source struct {
	r         *csv.Reader
	line      int64
	min, max  time.Time
	providers map[string]string // interns the names, so lines share them
}

// row is one parsed line.
type row struct {
	line          int64
	provider, txn string
	payment       string // "" when the order id names none of ours
	order         string
	amount        int64
	at            time.Time
	succeeded     bool
}

func newSource(r io.Reader) (*source, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrHeader
	}
	if err != nil {
		return nil, &LineError{Line: 1, Err: err}
	}
	if len(head) != len(Header) {
		return nil, ErrHeader
	}
	cr.FieldsPerRecord = len(Header)
	for i, h := range Header {
		if strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff")) != h {
			return nil, ErrHeader
		}
	}
	return &source{r: cr, line: 1, providers: map[string]string{}}, nil
}

// batch is how many lines travel to the matcher at once.
const batch = 512

// read parses every line and sends them out in batches, closing out when
// done. It runs ahead of the matcher while the index loads, by as much as
// out holds.
func (s *source) read(ctx context.Context, out chan<- []row) error {
	defer close(out)
	b := make([]row, 0, batch)
	send := func() error {
		select {
		case out <- b:
			b = make([]row, 0, batch)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		rec, err := s.r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		s.line++
		if err != nil {
			return &LineError{Line: s.line, Err: err}
		}
		r, err := s.parse(rec)
		if err != nil {
			return &LineError{Line: s.line, Err: err}
		}
		if b = append(b, r); len(b) == batch {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(b) > 0 {
		return send()
	}
	return nil
}

func (s *source) parse(rec []string) (row, error) {
	provider, txn, order := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
	if provider == "" || txn == "" {
		return row{}, errors.New("provider and txn_id are required")
	}
	if len(txn) > maxTxn {
		return row{}, fmt.Errorf("txn_id is longer than %d bytes", maxTxn)
	}
	amount, err := strconv.ParseInt(strings.TrimSpace(rec[3]), 10, 64)
	if err != nil || amount <= 0 {
		return row{}, fmt.Errorf("amount %q is not a positive whole number of đồng", rec[3])
	}
	at, err := parseTime(strings.TrimSpace(rec[5]))
	if err != nil {
		return row{}, fmt.Errorf("time %q: want RFC 3339 or 2006-01-02 15:04:05", rec[5])
	}
	if s.min.IsZero() || at.Before(s.min) {
		s.min = at
	}
	if at.After(s.max) {
		s.max = at
	}
	if p, ok := s.providers[provider]; ok {
		provider = p
	} else {
		s.providers[provider] = provider
	}
	r := row{line: s.line, provider: provider, txn: txn, order: order, amount: amount, at: at, succeeded: succeeded(rec[4])}
	if id := banks.PaymentIDOf(order); strings.HasPrefix(id, "pay_") {
		r.payment = id
	}
	return r, nil
}

func succeeded(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "success", "succeeded", "paid", "00":
		return true
	}
	return false
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02 15:04:05", s, ICT)
}
