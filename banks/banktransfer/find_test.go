package banktransfer_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/bankfeed"
	"github.com/civicpay/civicpay/banks/banktransfer"
)

// feedStub is a transaction list that counts its calls.
type feedStub struct {
	source  string
	credits []bankfeed.Listed
	err     error
	calls   atomic.Int32
}

func (f *feedStub) Source() string { return f.source }

func (f *feedStub) Credits(context.Context, bankfeed.Query) ([]bankfeed.Listed, error) {
	f.calls.Add(1)
	return f.credits, f.err
}

// TestFindTransfer: the credit carrying the code to the account is found
// in whichever feed lists it and becomes the webhook's callback (same
// dedupe key); a failing feed does not hide another's answer; one list
// serves the look-ups of ListTTL.
func TestFindTransfer(t *testing.T) {
	t.Parallel()
	credit := bankfeed.Listed{Transfer: bankfeed.Transfer{Source: bankfeed.SourceSePay, ID: "49682", Account: "0071000888888",
		Amount: decimal.NewFromInt(135000), Code: "CP7K9Q2XT4", BankRef: "FT1"}, Raw: []byte(`{"id":"49682"}`)}
	down := &feedStub{source: bankfeed.SourceCasso, err: errors.New("casso: 503")}
	sepay := &feedStub{source: bankfeed.SourceSePay, credits: []bankfeed.Listed{credit}}
	a := &banktransfer.Adapter{Feeds: []bankfeed.Lister{down, sepay}, ListTTL: 200 * time.Millisecond}
	ctx := context.Background()
	for _, tc := range []struct {
		name, code, account string
		found, wantErr      bool
	}{
		{"found", "CP7K9Q2XT4", "0071000888888", true, false},
		{"code in any case", "cp7k9q2xt4", "0071000888888", true, false},
		{"another account", "CP7K9Q2XT4", "999", false, true},
		{"another code", "CPAAAAAAAA", "0071000888888", false, true},
	} {
		cb, found, err := a.FindTransfer(ctx, tc.code, tc.account, time.Now())
		if found != tc.found || (err != nil) != tc.wantErr {
			t.Fatalf("%s: found %v, err %v", tc.name, found, err)
		}
		if found && (cb.TxnID != "sepay:49682" || cb.PaymentCode != "CP7K9Q2XT4" || cb.Account != "0071000888888" ||
			!cb.Amount.Equal(credit.Amount) || !cb.Succeeded || string(cb.Raw) != `{"id":"49682"}`) {
			t.Fatalf("%s: callback %+v", tc.name, cb)
		}
	}
	if n := sepay.calls.Load(); n != 2 { // two accounts, each listed once
		t.Errorf("the feed was asked %d times within ListTTL, want 2", n)
	}
	if n := down.calls.Load(); n != 4 { // failures are not kept
		t.Errorf("the failing feed was asked %d times, want 4", n)
	}
	time.Sleep(250 * time.Millisecond)
	if _, _, err := a.FindTransfer(ctx, "CP7K9Q2XT4", "0071000888888", time.Now()); err != nil || sepay.calls.Load() != 3 {
		t.Errorf("after ListTTL: err %v, %d calls; want the list fetched again", err, sepay.calls.Load())
	}
}
