package sandbox

import (
	"net/http"
	"strconv"
	"time"

	"github.com/civicpay/civicpay/banks/bankfeed"
)

// The feeds' transaction-list APIs, served from the transfers the sandbox
// bank made: Casso's GET /v2/transactions and SePay's GET
// /userapi/transactions/list, under CassoAPIPath and SePayAPIPath. A
// transfer is listed by the feed that reported it, with the id its
// webhook carried, so a transfer found in a list and its webhook dedupe.
// The bank's API faults (SetFault(VietQR, …) Mode and Delay) apply.

// booked is one line of the receiving account's statement as a feed saw it.
type booked struct {
	feed string
	transfer
}

// book records a transfer for the feeds' lists; callers hold s.mu.
func (s *Server) book(feed string, t transfer) {
	s.booked = append(s.booked, booked{feed: feed, transfer: t})
}

func (s *Server) routesFeedAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET "+CassoAPIPath+bankfeed.CassoListPath, s.api(VietQR, s.cassoList))
	mux.HandleFunc("GET "+SePayAPIPath+bankfeed.SePayListPath, s.api(VietQR, s.sepayList))
}

// lines are the feed's transfers booked on or after the date from (Vietnam
// time), newest first, for account ("" for every account).
func (s *Server) lines(feed, from, account string) ([]booked, bool) {
	var since time.Time
	if from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, ict)
		if err != nil {
			return nil, false
		}
		since = d
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []booked
	for i := len(s.booked) - 1; i >= 0; i-- {
		b := s.booked[i]
		at, _ := time.ParseInLocation(time.DateTime, b.at, ict)
		if b.feed == feed && !at.Before(since) && (account == "" || b.account == account) {
			out = append(out, b)
		}
	}
	return out, true
}

func (s *Server) cassoList(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Apikey "+CassoAPIKey {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": 401, "message": "Unauthorized"})
		return
	}
	q := r.URL.Query()
	page, size := atoiOr(q.Get("page"), 1), atoiOr(q.Get("pageSize"), 10)
	all, ok := s.lines(FeedCasso, q.Get("fromDate"), "")
	if !ok || page < 1 || size < 1 || size > 1000 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 400, "message": "bad query"})
		return
	}
	if q.Get("sort") == "ASC" || q.Get("sort") == "" {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	records := []map[string]any{}
	for i := (page - 1) * size; i < len(all) && i < page*size; i++ {
		b := all[i]
		records = append(records, map[string]any{
			"id": b.id, "tid": "FT" + strconv.FormatInt(b.id, 10), "description": b.content, "amount": b.amount,
			"cusum_balance": 100000000 + b.amount, "when": b.at, "bankSubAccId": b.account,
			"paymentChannel": "", "virtualAccount": "", "virtualAccountName": "", "corresponsiveName": "NGUYEN VAN AN",
			"corresponsiveAccount": "0011223344", "corresponsiveBankId": "970422", "corresponsiveBankName": "MB Bank",
			"accountId": 1, "bankCodeName": "vietinbank",
		})
	}
	pages := (len(all) + size - 1) / size
	writeJSON(w, http.StatusOK, map[string]any{"error": 0, "message": "success", "data": map[string]any{
		"page": page, "pageSize": size, "nextPage": page + 1, "prevPage": page - 1, "totalPages": pages,
		"totalRecords": len(all), "records": records,
	}})
}

func (s *Server) sepayList(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+SePayAPIToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": 401, "error": "unauthorized", "messages": map[string]bool{"success": false}})
		return
	}
	q := r.URL.Query()
	all, ok := s.lines(FeedSePay, q.Get("transaction_date_min"), q.Get("account_number"))
	limit := atoiOr(q.Get("limit"), 5000)
	if !ok || limit < 1 || limit > 5000 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "error": "bad query", "messages": map[string]bool{"success": false}})
		return
	}
	txns := []map[string]any{}
	for i := 0; i < len(all) && i < limit; i++ {
		b := all[i]
		in, out := b.amount, int64(0)
		if in < 0 {
			in, out = 0, -in
		}
		txns = append(txns, map[string]any{
			"id": strconv.FormatInt(b.id, 10), "bank_brand_name": "VietinBank", "account_number": b.account,
			"transaction_date": b.at, "amount_out": strconv.FormatInt(out, 10) + ".00", "amount_in": strconv.FormatInt(in, 10) + ".00",
			"accumulated": strconv.FormatInt(100000000+b.amount, 10) + ".00", "transaction_content": b.content,
			"reference_number": "FT" + strconv.FormatInt(b.id, 10), "code": nil, "sub_account": nil, "bank_account_id": "1",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": 200, "error": nil, "messages": map[string]bool{"success": true}, "transactions": txns})
}

func atoiOr(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
