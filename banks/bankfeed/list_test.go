package bankfeed_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/bankfeed"
)

// The bodies follow the documented examples (Casso API v2 "API lấy giao
// dịch", SePay "API Giao dịch"), with a payment code in one credit's
// content; debits, other accounts and wrong credentials are left out.
func TestTransactionLists(t *testing.T) {
	t.Parallel()
	const code = "CP7K9Q2XT4" // a valid code (check character) from the webhook tests
	casso := `{"error":0,"message":"success","data":{"page":1,"pageSize":10,"nextPage":2,"prevPage":0,"totalPages":1,"totalRecords":3,"records":[
	 {"id":5789,"tid":"TF2104152395814062","description":"Khanhnm chuyen tien","amount":-193000,"cusum_balance":1070904,"when":"2021-04-15T00:00:00","bankSubAccId":"8007041027107"},
	 {"id":5790,"tid":"TF2104152997602811","description":"` + code + ` CT tu 0011223344","amount":135000,"cusum_balance":1205904,"when":"2021-04-15 10:11:12","bankSubAccId":"8007041027107","virtualAccount":""},
	 {"id":5791,"tid":"TF2","description":"` + code + `","amount":135000,"cusum_balance":1,"when":"2021-04-15","bankSubAccId":"999"}]}}`
	sepay := `{"status":200,"error":null,"messages":{"success":true},"transactions":[
	 {"id":"49682","bank_brand_name":"Vietcombank","account_number":"0071000888888","transaction_date":"2023-05-05 19:59:48","amount_out":"0.00","amount_in":"18067000.00","accumulated":"1200541768.00","transaction_content":"` + code + ` chuyen tien","reference_number":"677760.050523.080001","code":null,"sub_account":"VCB0011ABC004","bank_account_id":"19"},
	 {"id":"49683","bank_brand_name":"Vietcombank","account_number":"0071000888888","transaction_date":"2023-05-05 20:00:00","amount_out":"500000.00","amount_in":"0.00","accumulated":"1","transaction_content":"phi","reference_number":"x","code":null,"sub_account":null,"bank_account_id":"19"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == bankfeed.CassoListPath && r.Header.Get("Authorization") == "Apikey ck" && r.URL.Query().Get("fromDate") == "2021-04-15":
			_, _ = w.Write([]byte(casso))
		case r.URL.Path == bankfeed.SePayListPath && r.Header.Get("Authorization") == "Bearer st" && r.URL.Query().Get("account_number") == "0071000888888":
			_, _ = w.Write([]byte(sepay))
		default:
			http.Error(w, `{"error":401}`, http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name          string
		lister        bankfeed.Lister
		q             bankfeed.Query
		wantErr       bool
		id, ref, amnt string
	}{
		{"casso", &bankfeed.CassoAPI{BaseURL: srv.URL, APIKey: "ck"},
			bankfeed.Query{Account: "8007041027107", Since: time.Date(2021, 4, 15, 1, 0, 0, 0, bankfeed.ICT)}, false, "5790", "TF2104152997602811", "135000"},
		{"sepay", &bankfeed.SePayAPI{BaseURL: srv.URL, Token: "st"},
			bankfeed.Query{Account: "0071000888888", Since: time.Date(2023, 5, 5, 0, 0, 0, 0, bankfeed.ICT)}, false, "49682", "677760.050523.080001", "18067000"},
		{"casso, wrong key", &bankfeed.CassoAPI{BaseURL: srv.URL, APIKey: "nope"}, bankfeed.Query{Account: "1"}, true, "", "", ""},
		{"sepay, wrong token", &bankfeed.SePayAPI{BaseURL: srv.URL, Token: "nope"}, bankfeed.Query{Account: "1"}, true, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.lister.Credits(context.Background(), tc.q)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Credits = %v, want an error", got)
				}
				return
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("Credits = %+v, %v; want the one credit to the account", got, err)
			}
			tr := got[0]
			if tr.ID != tc.id || tr.BankRef != tc.ref || tr.Amount.String() != tc.amnt || tr.Code != code || tr.Account != tc.q.Account || tr.Source != tc.lister.Source() || len(tr.Raw) == 0 {
				t.Errorf("credit = %+v", tr.Transfer)
			}
		})
	}
}
