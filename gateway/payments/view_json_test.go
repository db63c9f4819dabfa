package payments

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

func strp(s string) *string { return &s }

func TestAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 10, 4, 5, 120000000, time.UTC)
	ict := time.FixedZone("ICT", 7*3600)
	full := View{
		ID: "pay_0123456789abcdef", Object: "payment", Livemode: true, Status: Succeeded,
		Amount: decimal.RequireFromString("1250000"), AmountRefunded: decimal.RequireFromString("250000"), AmountRefundPending: decimal.RequireFromString("50000"),
		Currency: "VND", Kind: catalog.KindFee, Service: "GPLX-CAPDOI", Agency: "KBNN-HN",
		Reference: "HS-2026/000123", Quote: strp("quo_1"), Payer: Payer{Name: "Nguyễn Văn An", IDNumber: "*********345", TaxCode: "0101234567-001"},
		Description: strp(`Lệ phí "cấp đổi" <GPLX> & phí`), PaymentCode: "CPXY4VAHHE", ClientToken: "ct_abc",
		ExpiresAt: at, ReturnURL: strp("https://dichvucong.gov.vn/p?a=1&b=2"),
		Metadata:    map[string]string{"z": "1", "a": "x\u2028y", "dossier": "HS\t01", "": "empty key"},
		FailureCode: strp("expired"), Provider: strp("vietqr"), SucceededAt: &at, CanceledAt: ptrTime(at.In(ict)),
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: at.Add(time.Nanosecond),
		Methods: []string{"bank_qr", "momo"},
	}
	expanded := full
	expanded.Service = map[string]any{"code": "GPLX-CAPDOI", "name": map[string]string{"vi": "Cấp đổi", "en": "Renewal"}}
	expanded.Agency = struct {
		Code string `json:"code"`
		Bin  string `json:"bank_bin"`
	}{"KBNN-HN", "970415"}
	for name, v := range map[string]View{
		"zero":         {},
		"minimal":      (Payment{ID: "pay_x", Status: RequiresPaymentMethod, Amount: decimal.NewFromInt(1), CreatedAt: at}).View(),
		"full":         full,
		"expanded":     expanded,
		"invalid utf8": {ID: "pay_\xff\xfe", Reference: "a\x00b", Metadata: map[string]string{"k\xc3": "v"}},
		"fractional":   {Amount: decimal.RequireFromString("1.50"), AmountRefunded: decimal.RequireFromString("-0")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.AppendJSON([]byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[len("prefix"):], want) {
				t.Fatalf("AppendJSON\n got %s\nwant %s", got[len("prefix"):], want)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestAppendJSONReportsWhatMarshalRefuses(t *testing.T) {
	t.Parallel()
	v := View{ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(v); err == nil {
		t.Fatal("encoding/json now accepts year 10000; revisit appendTime")
	}
	if _, err := v.AppendJSON(nil); err == nil {
		t.Fatal("AppendJSON wrote a time encoding/json refuses")
	}
}

// FuzzAppendJSON holds the fast encoder equal to encoding/json for any
// text in the fields a portal or payer controls.
func FuzzAppendJSON(f *testing.F) {
	f.Add("HS-2026-000123", "Nguyễn Văn An", `a"b\c<d>&e`, "k", "v\x7f\u2029")
	f.Add("", "", "", "", "")
	f.Add("\xff", "\t\n", "</script>", "\u00e9", "\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, ref, name, desc, key, val string) {
		v := View{Reference: ref, Payer: Payer{Name: name, IDNumber: val}, Description: &desc,
			Metadata: map[string]string{key: val, "x" + key: ref}, Service: name, Methods: []string{desc}}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.AppendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON = %s, %v\nwant %s", got, err, want)
		}
	})
}
