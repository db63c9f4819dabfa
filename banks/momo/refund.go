package momo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/vnd"
)

var _ banks.RefundQuerier = (*Adapter)(nil)

// Refund returns money of a captured payment. The refund id is both
// orderId and requestId, so a retried refund is deduplicated by MoMo and
// the money goes out once however often the refund is sent.
func (a *Adapter) Refund(ctx context.Context, r banks.RefundRequest) (banks.RefundResult, error) {
	amount, err := vnd.Int64(r.Amount)
	if err != nil {
		return banks.RefundResult{}, err
	}
	transID, err := strconv.ParseInt(r.TxnID, 10, 64)
	if err != nil {
		return banks.RefundResult{}, fmt.Errorf("momo refund: transId %q is not a MoMo transaction id", r.TxnID)
	}
	req := RefundRequest{PartnerCode: a.PartnerCode, OrderID: r.RefundID, RequestID: r.RefundID, Amount: amount,
		TransID: transID, Lang: "vi", Description: "Hoan tien " + r.OrderID}
	req.Sign(a.AccessKey, a.SecretKey)
	var res RefundResponse
	err = a.post(ctx, breaker.Call{Op: "refund", Repeatable: true}, "/v2/gateway/api/refund", req, &res)
	return a.refundOutcome("refund", r.RefundID, amount, err, res.OrderID, res.Amount, res.TransID)
}

// QueryRefund asks MoMo how a refund ended. A MoMo refund is a transaction
// of its own, under the orderId it was sent with (the refund id), so the
// transaction query (/v2/gateway/api/query, spec §3.1, §3.3) answers for
// it: 0 paid back, a processing code still going, 42 never received.
// [UNVERIFIED: the spec lists no refund-specific query, and this reading
// of the transaction query for a refund's orderId is to be confirmed
// against MoMo's sandbox, like the query signature itself.]
func (a *Adapter) QueryRefund(ctx context.Context, r banks.RefundRequest) (banks.RefundResult, error) {
	amount, err := vnd.Int64(r.Amount)
	if err != nil {
		return banks.RefundResult{}, err
	}
	q := QueryRequest{PartnerCode: a.PartnerCode, RequestID: requestID(r.RefundID, "q", a.Now.Time()), OrderID: r.RefundID, Lang: "vi"}
	q.Sign(a.AccessKey, a.SecretKey)
	var res QueryResponse
	err = a.post(ctx, breaker.Call{Op: "query", Repeatable: true}, "/v2/gateway/api/query", q, &res)
	return a.refundOutcome("query", r.RefundID, amount, err, res.OrderID, res.Amount, res.TransID)
}

// refundOutcome turns MoMo's answer about a refund into a RefundResult.
// Only a refusal that names this refund, from this partner, with a final
// code is a failure: anything less certain stays pending, because
// releasing the reservation of a refund MoMo may still pay would let the
// same money be refunded twice. Transport errors are returned as they are
// and are no answer at all.
func (a *Adapter) refundOutcome(op, refundID string, amount int64, err error, orderID string, got, transID int64) (banks.RefundResult, error) {
	var re *ResultError
	if errors.As(err, &re) && errors.Is(err, breaker.ErrRejected) {
		res := banks.RefundResult{Code: strconv.Itoa(int(re.Code))}
		switch {
		case op == "query" && re.Code == orderNotFound:
			res.NotFound = true
		case refundUnsettled(re.Code), re.PartnerCode != a.PartnerCode, re.OrderID != refundID:
			res.Pending = true
		}
		return res, nil
	}
	if err != nil {
		return banks.RefundResult{}, err
	}
	if orderID != refundID || got != amount {
		return banks.RefundResult{}, fmt.Errorf("momo %s: answer is for refund %q of %d, not %q of %d", op, orderID, got, refundID, amount)
	}
	return banks.RefundResult{Succeeded: true, ProviderRef: strconv.FormatInt(transID, 10), Code: "0"}, nil
}

// refundUnsettled reports a refund answer that leaves the outcome open:
// processing codes and the unknown error, MoMo's duplicate answers (the
// first request exists and is the one that counts), a conflicting
// transaction in flight, maintenance.
func refundUnsettled(c ResultCode) bool {
	switch c {
	case DuplicateRequestID, DuplicateOrderID, ConflictingInFlight, SystemMaintenance:
		return true
	}
	return !c.Final()
}
