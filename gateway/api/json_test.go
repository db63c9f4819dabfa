package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/payments"
)

func TestPaymentPageEncodings(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	view := func(id string) payments.View {
		return payments.Payment{ID: id, Status: payments.Pending, Amount: decimal.NewFromInt(135000), CreatedAt: at, UpdatedAt: at,
			Metadata: map[string]string{"dossier": "HS <1>"}}.View()
	}
	last := "pay_2"
	for name, p := range map[string]paymentPage{
		"empty":     {views: []payments.View{}},
		"nil views": {},
		"one":       {views: []payments.View{view("pay_1")}},
		"more":      {views: []payments.View{view("pay_1"), view("pay_2")}, more: true, next: &last},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := marshal(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
			}
		})
	}
}
