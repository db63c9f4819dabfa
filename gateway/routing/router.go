// Package routing chooses the provider for a payment method and issues
// the order there, falling over to the next provider when one fails,
// without ever creating two orders under one order id.
//
// Every attempt is a payment_attempts row written (pending) before the
// provider is called and updated after; its order id is the payment id
// plus the attempt number (banks.OrderID), so a retry of one attempt at
// its provider reuses the id (the provider deduplicates) and a failover is
// a new attempt with a new id at another provider.
package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/payments"
)

// Errors the HTTP edge maps to problems.
var (
	ErrUnknownMethod     = errors.New("method must be bank_qr, momo, zalopay, vnpay, any_wallet or any")
	ErrMethodUnavailable = errors.New("no provider offers this method for this payment")
	ErrUnavailable       = errors.New("every provider for this method is unavailable right now; retry shortly")
	ErrNotOpen           = errors.New("the payment is not open for payment")
)

// Entry is one configured provider.
type Entry struct {
	Provider banks.Provider
	// Breaker guards the provider's outbound calls; nil for a provider
	// that makes none (vietqr).
	Breaker *breaker.Breaker
	Fee     banks.Fee
	// OrderTTL is how long an issued order stays payable at the provider;
	// zero means as long as the payment.
	OrderTTL time.Duration
	// MinAmount and MaxAmount are the provider's limits; zero is no limit.
	MinAmount, MaxAmount decimal.Decimal
	// Live says the provider moves real money with live credentials; it
	// only serves payments of the same mode, so a live payment is never
	// sent to a sandbox.
	Live bool
}

func (e Entry) name() string { return e.Provider.Name() }

// Router issues payment orders.
type Router struct {
	Pool    *pgxpool.Pool
	Entries []Entry
	// CallbackBase is the gateway's public URL: providers call back at
	// CallbackBase() + "/v1/callbacks/" + provider.
	CallbackBase func() string
	// Allowed lists the providers an agency accepts (its constraints:
	// e.g. a treasury that takes only bank transfers); nil or an empty
	// answer allows all.
	Allowed func(agency string) []string
	// MaxAttempts bounds the attempts of one payment (default 50).
	MaxAttempts int
	Log         *slog.Logger
	Now         func() time.Time

	locks keyedMutex
}

// QR is what the widget renders for one method.
type QR struct {
	Method      banks.Method
	Provider    string
	QRPayload   string
	Deeplink    string
	PayURL      string
	Amount      decimal.Decimal
	PaymentCode string
	ExpiresAt   time.Time
	Beneficiary *banks.Beneficiary // bank transfers only
	OrderID     string
	Attempt     int
	Reused      bool
}

func (r *Router) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Router) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// ParseMethod validates a method the widget asked for.
func ParseMethod(s string) (banks.Method, error) {
	switch m := banks.Method(s); m {
	case banks.MethodBankQR, banks.MethodMoMo, banks.MethodZaloPay, banks.MethodVNPay, banks.MethodAnyWallet, banks.MethodAny:
		return m, nil
	}
	return "", ErrUnknownMethod
}

// Issue returns the order a payer can pay p with by method: the payment's
// still-valid order for that method if there is one, else a new order at
// the best available provider, failing over down the ranking. Requests for
// the same payment are serialised in this process; across processes the
// unique attempt numbers keep order ids distinct.
func (r *Router) Issue(ctx context.Context, paymentID string, method banks.Method) (QR, error) {
	unlock := r.locks.lock(paymentID)
	defer unlock()
	p, err := payments.GetByID(ctx, r.Pool, paymentID)
	if err != nil {
		return QR{}, err
	}
	if !p.Status.Open() || !p.ExpiresAt.After(r.now()) {
		return QR{}, fmt.Errorf("%w: it is %s", ErrNotOpen, statusText(p, r.now()))
	}
	agency, err := catalog.GetAgency(ctx, r.Pool, p.Agency)
	if err != nil {
		return QR{}, err
	}
	eligible := r.eligible(method, p, agency)
	if len(eligible) == 0 {
		return QR{}, ErrMethodUnavailable
	}
	if qr, ok, err := r.reuse(ctx, p, agency, eligible); err != nil || ok {
		return qr, err
	}
	return r.issueNew(ctx, p, agency, method, rank(eligible, p.Amount))
}

func statusText(p payments.Payment, now time.Time) string {
	if p.Status.Open() && !p.ExpiresAt.After(now) {
		return "expired"
	}
	return string(p.Status)
}

// reuse finds an issued attempt at an eligible provider that the payer
// can still pay: asking again for the same method must not create a new
// order at the provider.
func (r *Router) reuse(ctx context.Context, p payments.Payment, agency catalog.Agency, eligible []Entry) (QR, bool, error) {
	issued, err := IssuedAttempts(ctx, r.Pool, p.ID)
	if err != nil {
		return QR{}, false, err
	}
	for _, a := range issued {
		e, ok := find(eligible, a.Provider)
		if !ok {
			continue
		}
		expires := r.expiry(e, p, a.CreatedAt)
		if expires.After(r.now().Add(reuseMargin)) {
			qr := r.qr(e, p, agency, a, expires)
			qr.Reused = true
			return qr, true, nil
		}
	}
	return QR{}, false, nil
}

// reuseMargin leaves a payer time to finish paying an order handed out again.
const reuseMargin = time.Minute

func find(es []Entry, name string) (Entry, bool) {
	for _, e := range es {
		if e.name() == name {
			return e, true
		}
	}
	return Entry{}, false
}

// expiry is when an order issued at created stops being payable.
func (r *Router) expiry(e Entry, p payments.Payment, created time.Time) time.Time {
	if e.OrderTTL > 0 && created.Add(e.OrderTTL).Before(p.ExpiresAt) {
		return created.Add(e.OrderTTL)
	}
	return p.ExpiresAt
}

// issueNew tries the ranked providers in turn until one issues.
func (r *Router) issueNew(ctx context.Context, p payments.Payment, agency catalog.Agency, method banks.Method, ranked []Entry) (QR, error) {
	for _, e := range ranked {
		if r.attemptsLeft(ctx, p.ID) <= 0 || ctx.Err() != nil {
			break
		}
		qr, err := r.try(ctx, e, p, agency, method)
		var se storeError
		switch {
		case err == nil:
			return qr, nil
		case errors.As(err, &se):
			return QR{}, se.err
		}
		// The attempt row keeps the error; the payer only needs to know
		// that no provider could take the payment just now.
		r.log().Warn("provider did not issue; failing over", "payment", p.ID, "provider", e.name(), "err", err)
	}
	return QR{}, ErrUnavailable
}

func (r *Router) attemptsLeft(ctx context.Context, paymentID string) int {
	limit := r.MaxAttempts
	if limit <= 0 {
		limit = 50
	}
	n, err := CountAttempts(ctx, r.Pool, paymentID)
	if err != nil {
		return 0
	}
	return limit - n
}

// try is one attempt: the row first, then the provider, then the row's
// outcome. The outcome is written even if the caller has gone, so the row
// never stays pending for a call that finished.
func (r *Router) try(ctx context.Context, e Entry, p payments.Payment, agency catalog.Agency, method banks.Method) (QR, error) {
	a, err := InsertAttempt(ctx, r.Pool, p.ID, e.name(), string(method))
	if err != nil {
		return QR{}, storeError{err}
	}
	expires := r.expiry(e, p, a.CreatedAt)
	start := time.Now()
	issued, err := e.Provider.Issue(ctx, r.order(e, p, agency, a, expires))
	res := Result{Outcome: outcomeOf(err), Latency: time.Since(start), Err: err, Issued: issued, Fee: e.Fee.For(p.Amount)}
	bg := context.WithoutCancel(ctx)
	if ferr := FinishAttempt(bg, r.Pool, a.ID, res); ferr != nil {
		return QR{}, storeError{ferr}
	}
	if err != nil {
		return QR{}, err
	}
	if err := MarkPending(bg, r.Pool, p.ID); err != nil {
		return QR{}, storeError{err}
	}
	a.QRPayload, a.Deeplink, a.PayURL, a.ProviderRef = issued.QRPayload, issued.Deeplink, issued.PayURL, issued.ProviderRef
	return r.qr(e, p, agency, a, expires), nil
}

// storeError is a database failure during an attempt: it ends routing,
// since failing over would not help and could leave rows unwritten.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }

func (e storeError) Unwrap() error { return e.err }

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeIssued
	case errors.Is(err, breaker.ErrOpen):
		return OutcomeBreakerOpen
	case errors.Is(err, breaker.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	}
	return OutcomeFailed
}

// order is what the provider is asked to collect.
func (r *Router) order(e Entry, p payments.Payment, agency catalog.Agency, a Attempt, expires time.Time) banks.Order {
	base := ""
	if r.CallbackBase != nil {
		base = r.CallbackBase()
	}
	ret := base + "/"
	if p.ReturnURL != nil && *p.ReturnURL != "" {
		ret = *p.ReturnURL
	}
	desc := p.Reference
	if p.Description != nil && *p.Description != "" {
		desc = *p.Description
	}
	return banks.Order{
		PaymentID: p.ID, OrderID: a.OrderID, Amount: p.Amount, Description: desc, PaymentCode: p.PaymentCode,
		Beneficiary: beneficiary(agency), ExpiresAt: expires, ReturnURL: ret,
		CallbackURL: base + "/v1/callbacks/" + e.name(), CreatedAt: a.CreatedAt,
	}
}

func beneficiary(a catalog.Agency) banks.Beneficiary {
	return banks.Beneficiary{BIN: a.BankBIN, BankName: a.BankName, Account: a.AccountNumber, AccountName: a.AccountName}
}

func (r *Router) qr(e Entry, p payments.Payment, agency catalog.Agency, a Attempt, expires time.Time) QR {
	qr := QR{
		Method: e.Provider.Methods()[0], Provider: e.name(), QRPayload: a.QRPayload, Deeplink: a.Deeplink, PayURL: a.PayURL,
		Amount: p.Amount, PaymentCode: p.PaymentCode, ExpiresAt: expires, OrderID: a.OrderID, Attempt: a.Number,
	}
	if qr.Method == banks.MethodBankQR {
		b := beneficiary(agency)
		qr.Beneficiary = &b
	}
	return qr
}

// keyedMutex serialises work per key without holding one lock for all.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu    sync.Mutex
	users int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.users++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.users--; e.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
