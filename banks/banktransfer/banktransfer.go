// Package banktransfer is the "vietqr" provider: a NAPAS 247 transfer
// straight into the agency's own account, asked for with a dynamic VietQR
// code (amount and payment code filled in) and detected by a bank-feed
// webhook (Casso v2 or SePay) when the money lands.
//
// Nothing is created anywhere when a code is issued, so this provider makes
// no outbound calls and needs no circuit breaker; what can fail is the
// feed, which is why unmatched money is kept for review, never dropped.
package banktransfer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/banks/vnd"
)

// Name is the provider name; bank-feed callbacks settle under it, whichever
// feed reported them.
const Name = "vietqr"

// Adapter issues VietQR codes and verifies bank-feed webhooks.
type Adapter struct {
	CassoKey  string        // Casso v2 checksum key; empty refuses Casso webhooks
	SePayKey  string        // SePay API key; empty refuses SePay webhooks
	Tolerance time.Duration // Casso timestamp skew allowed; 0 = bankfeed.DefaultTolerance
	Live      bool          // false for sandbox credentials
	Now       banks.Clock
	// Feeds are the feeds' transaction-list APIs, asked in turn by
	// FindTransfer; none means transfers are only known by webhook.
	Feeds []bankfeed.Lister
	// ListTTL is how long one feed's list of one account's credits serves
	// further look-ups (0: DefaultListTTL). A requery run asks about every
	// pending transfer of an agency; the feeds limit their APIs (SePay: 3
	// calls a second), and one list answers them all.
	ListTTL time.Duration

	mu    sync.Mutex
	lists map[listKey]listed
}

// DefaultListTTL is ListTTL's default.
const DefaultListTTL = 5 * time.Second

type listKey struct {
	feed          int
	account, from string
}

type listed struct {
	at      time.Time
	credits []bankfeed.Listed
}

var _ banks.Provider = (*Adapter)(nil)

func (a *Adapter) Name() string { return Name }

func (a *Adapter) Methods() []banks.Method { return []banks.Method{banks.MethodBankQR} }

// Issue builds the dynamic VietQR payload: the agency's account, the exact
// amount, and the payment code alone as the transfer content, which is
// what the widget verifies before drawing it and what paycode.Find looks
// for when the feed reports the transfer.
func (a *Adapter) Issue(_ context.Context, o banks.Order) (banks.Issued, error) {
	amount, err := vnd.Format(o.Amount)
	if err != nil {
		return banks.Issued{}, err
	}
	payload, err := vietqr.Build(vietqr.Payload{
		BIN: o.Beneficiary.BIN, Account: o.Beneficiary.Account, Amount: amount, Purpose: o.PaymentCode,
	})
	if err != nil {
		return banks.Issued{}, err
	}
	return banks.Issued{QRPayload: payload, ProviderRef: o.PaymentCode}, nil
}

// Query is not offered: the feed pushes transfers; there is no order to
// ask about. FindTransfer looks in the feeds' transaction lists instead.
func (a *Adapter) Query(context.Context, string) (banks.Status, error) {
	return banks.Status{}, banks.ErrUnsupported
}

// Refund is not offered: money is returned by a manual transfer.
func (a *Adapter) Refund(context.Context, banks.RefundRequest) (banks.RefundResult, error) {
	return banks.RefundResult{}, banks.ErrUnsupported
}

// ParseCallback authenticates a bank-feed webhook by its own scheme —
// X-Casso-Signature for Casso v2, "Authorization: Apikey" for SePay — and
// turns the credit into a Callback matched by payment code, receiving
// account and amount. A credit without a code still settles, as an
// exception: the money arrived and someone must return it.
func (a *Adapter) ParseCallback(r *http.Request, body []byte) (banks.Callback, error) {
	t, err := a.transfer(r, body)
	switch {
	case errors.Is(err, bankfeed.ErrSignature), errors.Is(err, bankfeed.ErrStale), errors.Is(err, bankfeed.ErrUnauthorized):
		return banks.Callback{}, banks.ErrSignature
	case errors.Is(err, bankfeed.ErrNotCredit):
		return banks.Callback{}, fmt.Errorf("%w: %w", banks.ErrNotPayment, err)
	case err != nil:
		return banks.Callback{}, fmt.Errorf("%w: %w", banks.ErrMalformed, err)
	}
	return a.callback(t, body), nil
}

// callback is a transfer in the gateway's terms, the same whether a
// webhook reported it or a transaction list: the dedupe key is the feed's
// own transaction id either way.
func (a *Adapter) callback(t bankfeed.Transfer, raw []byte) banks.Callback {
	// The bank's own reference and booking time: the same transfer reported
	// by two feeds is one callback, and it is judged by when it was booked.
	return banks.Callback{
		Provider: Name, TxnID: t.Source + ":" + t.ID, PaymentCode: t.Code, Account: t.Account,
		Amount: t.Amount, Currency: "VND", Succeeded: true, ResultCode: t.Source, Livemode: a.Live, Raw: raw,
		BookedAt: t.At, BankRef: t.BankRef,
	}
}

var _ banks.TransferFinder = (*Adapter)(nil)

// FindTransfer looks for a credit to account whose content carries code,
// booked since since, in each feed's transaction list in turn. A feed that
// cannot be asked does not stop the others; its error is returned only
// when no feed found the transfer.
func (a *Adapter) FindTransfer(ctx context.Context, code, account string, since time.Time) (banks.Callback, bool, error) {
	var errs []error
	for i, f := range a.Feeds {
		credits, err := a.credits(ctx, i, f, bankfeed.Query{Account: account, Since: since})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s transaction list: %w", f.Source(), err))
			continue
		}
		for _, l := range credits {
			if strings.EqualFold(l.Code, code) && (l.Account == account || l.VirtualAccount == account) {
				return a.callback(l.Transfer, l.Raw), true, nil
			}
		}
	}
	return banks.Callback{}, false, errors.Join(errs...)
}

func (a *Adapter) transfer(r *http.Request, body []byte) (bankfeed.Transfer, error) {
	if sig := r.Header.Get("X-Casso-Signature"); sig != "" {
		if err := bankfeed.VerifyCasso(a.CassoKey, sig, body, a.Now.Time(), a.Tolerance); err != nil {
			return bankfeed.Transfer{}, err
		}
		return bankfeed.ParseCasso(body)
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(strings.ToLower(strings.TrimSpace(auth)), "apikey") {
		if err := bankfeed.VerifySePay(a.SePayKey, auth); err != nil {
			return bankfeed.Transfer{}, err
		}
		return bankfeed.ParseSePay(body)
	}
	return bankfeed.Transfer{}, bankfeed.ErrUnauthorized
}

// WriteReply answers the feed: both services want 200 {"success":true}
// once the transfer is recorded and retry on anything else.
func (a *Adapter) WriteReply(w http.ResponseWriter, r banks.Reply) {
	status, body := http.StatusOK, bankfeed.Reply
	switch r.Outcome {
	case banks.OutcomeError:
		status, body = http.StatusServiceUnavailable, `{"success":false}`
	case banks.OutcomeRejected:
		status, body = http.StatusBadRequest, `{"success":false}`
		if r.Reason == banks.ReasonSignature {
			status = http.StatusUnauthorized
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// credits lists a feed's credits to an account, reusing a list fetched
// less than ListTTL ago for the same account and day.
func (a *Adapter) credits(ctx context.Context, i int, f bankfeed.Lister, q bankfeed.Query) ([]bankfeed.Listed, error) {
	ttl := a.ListTTL
	if ttl <= 0 {
		ttl = DefaultListTTL
	}
	k := listKey{feed: i, account: q.Account, from: q.Since.In(bankfeed.ICT).Format(time.DateOnly)}
	now := time.Now()
	a.mu.Lock()
	l, ok := a.lists[k]
	a.mu.Unlock()
	if ok && now.Sub(l.at) < ttl {
		return l.credits, nil
	}
	credits, err := f.Credits(ctx, q)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lists == nil {
		a.lists = map[listKey]listed{}
	}
	for key, old := range a.lists { // forget stale lists, so the map stays small
		if now.Sub(old.at) >= ttl {
			delete(a.lists, key)
		}
	}
	a.lists[k] = listed{at: now, credits: credits}
	return credits, nil
}
