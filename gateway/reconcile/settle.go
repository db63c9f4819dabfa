package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/settlement"
)

// A line missing at the gateway is money the provider collected and the
// gateway never heard of: usually a callback lost to an outage. Counting
// it is not enough — the citizen paid. SettleMissing links each line to
// its payment (by the payment code a bank transfer carries, or the order
// id a wallet echoes), confirms it through the provider's own API (the
// bank feed's transaction list, the wallet's status query: a report line
// alone is not proof), and hands it to the settler exactly as the callback
// would have been, under the same transaction id. Lines that name no
// payment of ours are recorded through the same path as exceptions
// (unknown reference, money in suspense) for someone to return.

// Missing is a report line collected by the provider that the gateway
// never recorded (Options.Missing).
type Missing struct {
	Provider, TxnID, OrderID string
	Amount                   int64 // whole đồng
	At                       time.Time
}

// Settler settles a callback: *settlement.Settler.
type Settler interface {
	Settle(ctx context.Context, cb banks.Callback) (settlement.Result, error)
}

// SettleConfig is what settling needs.
type SettleConfig struct {
	Pool     *pgxpool.Pool
	Settler  Settler
	Provider func(name string) (banks.Provider, bool)
	// Livemode marks the exceptions recorded for lines that name no
	// payment (a linked line takes its payment's mode).
	Livemode bool
}

// Settled counts what SettleMissing did.
type Settled struct {
	Settled    int `json:"settled"`    // linked, confirmed and recorded now (settled, or held for review as a late callback would be)
	Duplicates int `json:"duplicates"` // linked and confirmed, but recorded meanwhile (a late callback)
	// Unconfirmed lines name a payment that the provider's API does not
	// (yet) show as paid under that transaction: left for the next run.
	Unconfirmed int `json:"unconfirmed"`
	Exceptions  int `json:"exceptions"` // named no payment: held for review
}

// link is a line's payment.
type link struct {
	payment, order, code, account string
	livemode                      bool
	created                       time.Time
}

const linkSQL = `
SELECT p.id, p.livemode, p.payment_code, ag.account_number, p.created_at
FROM payments p JOIN agencies ag ON ag.code = p.agency_code
WHERE p.id = $1 OR p.payment_code = upper($2)`

// SettleMissing settles the missing lines (Options.Missing) it can confirm.
func SettleMissing(ctx context.Context, cfg SettleConfig, lines []Missing) (Settled, error) {
	var st Settled
	var errs []error
	for _, l := range lines {
		if err := settleLine(ctx, cfg, l, &st); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", l.Provider, l.TxnID, err))
		}
	}
	return st, errors.Join(errs...)
}

func settleLine(ctx context.Context, cfg SettleConfig, l Missing, st *Settled) error {
	var lk link
	payment := banks.PaymentIDOf(l.OrderID)
	if !strings.HasPrefix(payment, "pay_") {
		payment = ""
	}
	err := cfg.Pool.QueryRow(ctx, linkSQL, payment, l.OrderID).Scan(&lk.payment, &lk.livemode, &lk.code, &lk.account, &lk.created)
	if errors.Is(err, pgx.ErrNoRows) {
		return record(ctx, cfg, exceptionOf(l, cfg.Livemode), st)
	}
	if err != nil {
		return err
	}
	lk.order = l.OrderID
	p, ok := cfg.Provider(l.Provider)
	if !ok {
		st.Unconfirmed++
		return nil
	}
	cb, confirmed, err := confirm(ctx, p, l, lk)
	if err != nil || !confirmed {
		st.Unconfirmed++
		return err
	}
	return record(ctx, cfg, cb, st)
}

// confirm asks the provider for the line's transaction.
func confirm(ctx context.Context, p banks.Provider, l Missing, lk link) (banks.Callback, bool, error) {
	if f, ok := p.(banks.TransferFinder); ok {
		cb, found, err := f.FindTransfer(ctx, lk.code, lk.account, lk.created.Add(-24*time.Hour))
		return cb, found && cb.TxnID == l.TxnID, err
	}
	s, err := p.Query(ctx, lk.order)
	if errors.Is(err, banks.ErrUnsupported) {
		return banks.Callback{}, false, nil
	}
	if err != nil || !s.Known || !s.Succeeded || !s.Final || s.TxnID != l.TxnID {
		return banks.Callback{}, false, err
	}
	raw, _ := json.Marshal(map[string]any{"source": "reconcile", "order_id": lk.order, "txn_id": s.TxnID, "amount": s.Amount})
	return banks.Callback{
		Provider: l.Provider, TxnID: s.TxnID, PaymentID: lk.payment, OrderID: lk.order,
		Amount: s.Amount, Currency: "VND", Succeeded: true, ResultCode: "status_query",
		Livemode: lk.livemode, Raw: raw,
	}, true, nil
}

// exceptionOf records a line that names no payment: settlement finds no
// payment for it and keeps the money in suspense, for review.
func exceptionOf(l Missing, livemode bool) banks.Callback {
	raw, _ := json.Marshal(map[string]any{"source": "reconcile", "provider": l.Provider, "txn_id": l.TxnID,
		"order_id": l.OrderID, "amount": l.Amount, "time": l.At})
	return banks.Callback{Provider: l.Provider, TxnID: l.TxnID, OrderID: l.OrderID,
		Amount: decimal.NewFromInt(l.Amount), Currency: "VND", Succeeded: true, ResultCode: "reconcile",
		Livemode: livemode, Raw: raw}
}

func record(ctx context.Context, cfg SettleConfig, cb banks.Callback, st *Settled) error {
	res, err := cfg.Settler.Settle(ctx, cb)
	switch {
	case err != nil:
		return err
	case res.Duplicate:
		st.Duplicates++
	case res.Outcome == banks.OutcomeException && cb.PaymentID == "" && cb.PaymentCode == "":
		st.Exceptions++
	default:
		st.Settled++
	}
	return nil
}
