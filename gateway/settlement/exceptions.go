package settlement

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Exception is a callback kept for review instead of being settled: money
// that arrived with the wrong amount, for a closed payment, and so on. Its
// money sits in the suspense account until someone refunds or resolves it.
type Exception struct {
	ID           int64           `json:"id"`
	Object       string          `json:"object"`
	Provider     string          `json:"provider"`
	ProviderTxn  string          `json:"provider_txn_id"`
	PaymentID    *string         `json:"payment"`
	Amount       decimal.Decimal `json:"amount"`
	Reason       string          `json:"reason"`
	ReviewStatus string          `json:"review_status"`
	ReceivedAt   time.Time       `json:"received_at"`
}

// Exceptions of callbacks without a known payment belong to no portal and
// are an operator's to review; a portal sees those of its own payments.
const exceptionsSQL = `
SELECT c.id, c.provider, c.provider_txn_id, c.payment_id, coalesce(c.amount, 0), c.exception_reason,
       coalesce(c.review_status, 'open'), c.received_at
FROM provider_callbacks c JOIN payments p ON p.id = c.payment_id
WHERE c.outcome = 'exception' AND p.portal_id = $1 AND p.livemode = $2
ORDER BY c.id DESC LIMIT $3`

// Exceptions lists the newest exceptions on a portal's payments.
func Exceptions(ctx context.Context, db pg.Querier, portalID string, livemode bool, limit int) ([]Exception, error) {
	rows, err := db.Query(ctx, exceptionsSQL, portalID, livemode, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Exception, error) {
		e := Exception{Object: "exception"}
		err := r.Scan(&e.ID, &e.Provider, &e.ProviderTxn, &e.PaymentID, &e.Amount, &e.Reason, &e.ReviewStatus, &e.ReceivedAt)
		return e, err
	})
}
