package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/civicpay/civicpay/banks/momo"
)

// momoRefund is a MoMo refund as MoMo keeps it: a transaction of its own
// under the orderId it was sent with, which the transaction query answers
// for like any order.
type momoRefund struct {
	requestID  string
	amount     int64
	code       momo.ResultCode // how the refund really ended: 0, or a refusal
	message    string
	transID    int64
	answer     []byte // the first answer, replayed for the same requestId when it was final
	sentFinal  bool   // whether the first answer was final
	requests   int    // refund requests naming this orderId
	processing int    // queries that still answer 7000 (Fault.RefundProcessing)
}

// momoRefund is /v2/gateway/api/refund. MoMo is idempotent on requestId:
// a repeated request is answered with the first answer when that was
// final, with 40 (duplicate requestId) otherwise, and a new requestId for
// a known orderId gets 41. The money goes out once per orderId whatever
// is asked. Fault.RefundAnswer replaces the answer, not the outcome.
func (s *Server) momoRefund(w http.ResponseWriter, r *http.Request) {
	var req momo.RefundRequest
	if !decode(w, r, &req) {
		s.momoRefuse(w, http.StatusBadRequest, momo.BadFormat, "Bad format request.")
		return
	}
	if req.PartnerCode != MoMoPartnerCode || !req.Verify(MoMoAccessKey, MoMoSecretKey) {
		s.momoRefuse(w, http.StatusBadRequest, momo.AuthFailed, "Merchant authentication failed: wrong signature.")
		return
	}
	f, _ := s.fault(MoMo)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.momoRefundAnswer(req, f))
}

func (s *Server) momoRefundAnswer(req momo.RefundRequest, f Fault) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	head := momo.RefundResponse{PartnerCode: MoMoPartnerCode, OrderID: req.OrderID, RequestID: req.RequestID,
		Amount: req.Amount, ResponseTime: s.now().UnixMilli()}
	rf := s.refunds[req.OrderID]
	first := rf == nil
	if first {
		rf = s.momoRefundDo(req, f)
		rf.sentFinal = f.RefundAnswer == 0 && rf.processing == 0
		s.refunds[req.OrderID] = rf
	} else {
		rf.requests++
	}
	var out []byte
	switch {
	case f.RefundAnswer != 0:
		head.ResultCode, head.Message = momo.ResultCode(f.RefundAnswer), "Sandbox fault: ambiguous answer."
	case first:
		out = rf.answer
	case rf.requestID != req.RequestID:
		head.ResultCode, head.Message = momo.DuplicateOrderID, "Duplicated orderId."
	case !rf.sentFinal:
		head.ResultCode, head.Message = momo.DuplicateRequestID, "Duplicated requestId."
	default:
		out = rf.answer
	}
	if out == nil {
		out, _ = json.Marshal(head)
	}
	return out
}

// momoRefundDo performs a refund the first time its orderId is seen;
// callers hold s.mu.
func (s *Server) momoRefundDo(req momo.RefundRequest, f Fault) *momoRefund {
	rf := &momoRefund{requestID: req.RequestID, amount: req.Amount, requests: 1, processing: f.RefundProcessing}
	paid := s.paidMoMo(req.TransID)
	switch {
	case f.RefundDecline:
		rf.code, rf.message = 1080, "Refund failed: declined (sandbox fault)."
	case paid == nil:
		rf.code, rf.message = 1080, "Refund failed: the original transaction is not a paid MoMo payment."
	case req.Amount > paid.amount-s.momoRefunded(paid.id):
		rf.code, rf.message = 1081, "Refund failed: amount exceeds what is left of the payment."
	default:
		rf.code, rf.message, rf.transID = momo.Success, "Thành công.", s.nextTxn()
		s.record(MoMo, strconv.FormatInt(rf.transID, 10), paid.id, req.Amount, "refunded")
	}
	res := momo.RefundResponse{PartnerCode: MoMoPartnerCode, OrderID: req.OrderID, RequestID: req.RequestID,
		Amount: req.Amount, TransID: rf.transID, ResultCode: rf.code, Message: rf.message, ResponseTime: s.now().UnixMilli()}
	if rf.processing > 0 {
		res.TransID, res.ResultCode, res.Message = 0, momo.Processing, "Giao dịch đang được xử lý."
	}
	rf.answer, _ = json.Marshal(res)
	return rf
}

// momoRefundStatus is the transaction query's answer for a refund;
// callers hold s.mu.
func (s *Server) momoRefundStatus(rf *momoRefund) momo.QueryResponse {
	res := momo.QueryResponse{Amount: rf.amount}
	if rf.processing > 0 {
		rf.processing--
		res.ResultCode, res.Message = momo.Processing, "Giao dịch đang được xử lý."
		return res
	}
	res.ResultCode, res.Message, res.TransID = rf.code, rf.message, rf.transID
	return res
}

// momoRefunded sums the refunds paid out of a paid MoMo order; callers
// hold s.mu.
func (s *Server) momoRefunded(orderID string) int64 {
	var sum int64
	for _, t := range s.txns {
		if t.provider == MoMo && t.status == "refunded" && t.order == orderID {
			sum += t.amount
		}
	}
	return sum
}

// paidMoMo finds a paid MoMo order by transId; callers hold s.mu.
func (s *Server) paidMoMo(transID int64) *order {
	for _, o := range s.orders {
		if o.provider == MoMo && o.status == "paid" && o.txnID == transID {
			return o
		}
	}
	return nil
}

// MoMoRefund reports how often a MoMo refund (by its orderId) was asked
// for and how many times its money went out (0 or 1), for tests that
// must show a refund is never paid twice.
func (s *Server) MoMoRefund(orderID string) (requests, paid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rf := s.refunds[orderID]
	if rf == nil {
		return 0, 0
	}
	for _, t := range s.txns {
		if t.provider == MoMo && t.status == "refunded" && t.id == strconv.FormatInt(rf.transID, 10) {
			paid++
		}
	}
	return rf.requests, paid
}
