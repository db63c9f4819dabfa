// Package ledger reads the double-entry ledger that settlement and refunds
// write. Balances are sums of postings (debit positive, credit negative),
// so they tie out by construction: every entry sums to zero, hence so does
// the whole ledger.
package ledger

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Account is a ledger account with its balance.
type Account struct {
	ID       string          `json:"id"`
	Object   string          `json:"object"`
	Livemode bool            `json:"livemode"`
	Kind     string          `json:"kind"`
	Ref      string          `json:"ref"`
	Name     string          `json:"name"`
	Balance  decimal.Decimal `json:"balance"`
	Debits   decimal.Decimal `json:"debits"`
	Credits  decimal.Decimal `json:"credits"`
}

// A portal sees the beneficiary accounts of the agencies it collects for and
// the gateway-level accounts (clearing, fees, suspense) of its mode.
const accountsSQL = `
SELECT a.id, a.livemode, a.kind, a.ref, a.name,
       coalesce(sum(p.amount), 0), coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0),
       coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)
FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
WHERE a.livemode = $1 AND (a.kind <> 'beneficiary' OR a.ref = ANY($2))
GROUP BY a.id ORDER BY a.kind, a.ref`

// Accounts lists balances in one mode for the given agencies.
func Accounts(ctx context.Context, db pg.Querier, livemode bool, agencies []string) ([]Account, error) {
	rows, err := db.Query(ctx, accountsSQL, livemode, agencies)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		a := Account{Object: "ledger_account"}
		err := r.Scan(&a.ID, &a.Livemode, &a.Kind, &a.Ref, &a.Name, &a.Balance, &a.Debits, &a.Credits)
		return a, err
	})
}

// Entry is a journal entry with its postings.
type Entry struct {
	ID        int64     `json:"id"`
	Object    string    `json:"object"`
	Livemode  bool      `json:"livemode"`
	Kind      string    `json:"kind"`
	PaymentID *string   `json:"payment"`
	RefundID  *string   `json:"refund"`
	Memo      string    `json:"memo"`
	CreatedAt time.Time `json:"created_at"`
	Postings  []Posting `json:"postings"`
}

// Posting is one leg of an entry.
type Posting struct {
	Account string          `json:"account"`
	Amount  decimal.Decimal `json:"amount"`
}

const entriesSQL = `
SELECT e.id, e.livemode, e.kind, e.payment_id, e.refund_id, e.memo, e.created_at,
       array_agg(p.account_id ORDER BY p.id), array_agg(p.amount ORDER BY p.id)
FROM journal_entries e JOIN postings p ON p.entry_id = e.id
JOIN payments pay ON pay.id = e.payment_id
WHERE e.payment_id = $1 AND pay.portal_id = $2 AND pay.livemode = $3
GROUP BY e.id ORDER BY e.id`

// EntriesForPayment returns the entries of one of the portal's payments.
func EntriesForPayment(ctx context.Context, db pg.Querier, portalID string, livemode bool, paymentID string) ([]Entry, error) {
	rows, err := db.Query(ctx, entriesSQL, paymentID, portalID, livemode)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		e := Entry{Object: "journal_entry"}
		var accounts []string
		var amounts []decimal.Decimal
		err := r.Scan(&e.ID, &e.Livemode, &e.Kind, &e.PaymentID, &e.RefundID, &e.Memo, &e.CreatedAt, &accounts, &amounts)
		for i := range accounts {
			e.Postings = append(e.Postings, Posting{Account: accounts[i], Amount: amounts[i]})
		}
		return e, err
	})
}

// DailyTotal is what one agency was credited on one day (Vietnam time).
type DailyTotal struct {
	Agency string          `json:"agency"`
	Day    string          `json:"day"`
	Amount decimal.Decimal `json:"amount"`
	Count  int             `json:"count"`
}

const dailySQL = `
SELECT a.ref, to_char(e.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') AS day,
       -sum(p.amount), count(DISTINCT e.id)
FROM postings p JOIN ledger_accounts a ON a.id = p.account_id JOIN journal_entries e ON e.id = p.entry_id
WHERE a.kind = 'beneficiary' AND a.livemode = $1 AND a.ref = ANY($2)
GROUP BY 1, 2 ORDER BY 2 DESC, 1`

// DailyTotals sums what each agency is owed per day, net of refunds.
func DailyTotals(ctx context.Context, db pg.Querier, livemode bool, agencies []string) ([]DailyTotal, error) {
	rows, err := db.Query(ctx, dailySQL, livemode, agencies)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DailyTotal, error) {
		var d DailyTotal
		err := r.Scan(&d.Agency, &d.Day, &d.Amount, &d.Count)
		return d, err
	})
}
