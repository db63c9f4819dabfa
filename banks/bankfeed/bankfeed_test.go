package bankfeed_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/bankfeed"
)

// Self-computed Casso vector (NOT from Casso): the expected v1 was computed
// independently in Python with json.dumps(sort_keys=True,
// separators=(",", ":"), ensure_ascii=False), and the body deliberately
// holds '/', '<', '&' and Vietnamese text, which PHP's json_encode would
// escape and JSON.stringify does not.
const (
	cassoKey  = "civicpay-casso-test-key"
	cassoT    = 1734924830020
	cassoV1   = "9bb1c868ff31e57043f5d5193a706f35ae1ec21660861149f0b025594cb00091c13172011b3821912be2eeeaec089179ef485f3e06a64597c393731222f435f5"
	cassoBody = `{
  "error": 0,
  "data": {
    "id": 218897,
    "reference": "FT24364030863634",
    "description": "CP7K9Q2XT4 nộp lệ phí hồ sơ 12/2024 <A&B>",
    "amount": 150000,
    "runningBalance": 16775000,
    "transactionDateTime": "2024-12-23 07:00:00",
    "accountNumber": "123456789",
    "bankName": "MBBank",
    "bankAbbreviation": "MBB",
    "virtualAccountNumber": "",
    "virtualAccountName": "",
    "counterAccountName": "NGUYỄN VĂN A",
    "counterAccountNumber": "0123456789",
    "counterAccountBankId": "970436",
    "counterAccountBankName": "Vietcombank"
  }
}`
)

// reordered is cassoBody with keys shuffled, compacted and the non-ASCII
// text written as \u escapes: the same JSON value, so the same signature.
const reordered = `{"data":{"virtualAccountName":"","virtualAccountNumber":"","transactionDateTime":"2024-12-23 07:00:00",` +
	`"runningBalance":16775000,"reference":"FT24364030863634","id":218897,` +
	`"description":"CP7K9Q2XT4 n\u1ed9p l\u1ec7 ph\u00ed h\u1ed3 s\u01a1 12\/2024 <A&B>","counterAccountNumber":"0123456789",` +
	`"counterAccountName":"NGUY\u1ec4N V\u0102N A","counterAccountBankName":"Vietcombank","counterAccountBankId":"970436",` +
	`"bankName":"MBBank","bankAbbreviation":"MBB","amount":150000,"accountNumber":"123456789"},"error":0}`

var (
	cassoHeader = fmt.Sprintf("t=%d,v1=%s", cassoT, cassoV1)
	cassoNow    = time.UnixMilli(cassoT).Add(3 * time.Second)
)

func TestVerifyCassoVector(t *testing.T) {
	t.Parallel()
	if err := bankfeed.VerifyCasso(cassoKey, cassoHeader, []byte(cassoBody), cassoNow, 0); err != nil {
		t.Fatal(err)
	}
	got, err := bankfeed.SignCasso(cassoKey, []byte(cassoBody), time.UnixMilli(cassoT))
	if err != nil || got != cassoHeader {
		t.Fatalf("SignCasso = %s, %v", got, err)
	}
}

func TestVerifyCasso(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string
		header string
		body   string
		now    time.Time
		tol    time.Duration
		target error // nil: must verify
	}{
		{"key order and whitespace do not matter", cassoKey, cassoHeader, reordered, cassoNow, 0, nil},
		{"rotation: second v1 matches", cassoKey, fmt.Sprintf("t=%d,v1=%s,v1=%s", cassoT, strings.Repeat("0", 128), cassoV1), cassoBody, cassoNow, 0, nil},
		{"upper-case hex", cassoKey, fmt.Sprintf("t=%d,v1=%s", cassoT, strings.ToUpper(cassoV1)), cassoBody, cassoNow, 0, nil},
		{"spaces in header", cassoKey, fmt.Sprintf("t=%d, v1=%s", cassoT, cassoV1), cassoBody, cassoNow, 0, nil},
		{"wrong key", "other", cassoHeader, cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"empty key", "", cassoHeader, cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"tampered amount", cassoKey, cassoHeader, strings.Replace(cassoBody, "150000", "1500000", 1), cassoNow, 0, bankfeed.ErrSignature},
		{"amount rewritten 1.5e5", cassoKey, cassoHeader, strings.Replace(cassoBody, "150000", "1.5e5", 1), cassoNow, 0, bankfeed.ErrSignature},
		{"other timestamp", cassoKey, fmt.Sprintf("t=%d,v1=%s", cassoT+1, cassoV1), cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"no v1", cassoKey, fmt.Sprintf("t=%d", cassoT), cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"no t", cassoKey, "v1=" + cassoV1, cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"t not a number", cassoKey, "t=abc,v1=" + cassoV1, cassoBody, cassoNow, 0, bankfeed.ErrSignature},
		{"replayed an hour later", cassoKey, cassoHeader, cassoBody, cassoNow.Add(time.Hour), 0, bankfeed.ErrStale},
		{"from the future", cassoKey, cassoHeader, cassoBody, cassoNow.Add(-10 * time.Minute), 0, bankfeed.ErrStale},
		{"custom tolerance", cassoKey, cassoHeader, cassoBody, cassoNow, time.Second, bankfeed.ErrStale},
		{"body not JSON", cassoKey, cassoHeader, "error=0", cassoNow, 0, bankfeed.ErrMalformed},
		{"body trailing data", cassoKey, cassoHeader, cassoBody + "{}", cassoNow, 0, bankfeed.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := bankfeed.VerifyCasso(tt.key, tt.header, []byte(tt.body), tt.now, tt.tol)
			if tt.target == nil && err != nil || !errors.Is(err, tt.target) {
				t.Fatalf("VerifyCasso = %v, want %v", err, tt.target)
			}
		})
	}
}

func TestParseCasso(t *testing.T) {
	t.Parallel()
	got, err := bankfeed.ParseCasso([]byte(cassoBody))
	if err != nil {
		t.Fatal(err)
	}
	want := bankfeed.Transfer{
		Source: bankfeed.SourceCasso, ID: "218897", Account: "123456789", Amount: decimal.NewFromInt(150000),
		Content: "CP7K9Q2XT4 nộp lệ phí hồ sơ 12/2024 <A&B>", Code: "CP7K9Q2XT4", BankRef: "FT24364030863634",
		At: time.Date(2024, 12, 23, 0, 0, 0, 0, time.UTC),
	}
	if !sameTransfer(got, want) {
		t.Fatalf("ParseCasso =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseCassoRejects(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) string { return strings.Replace(cassoBody, old, new, 1) }
	tests := []struct {
		name   string
		body   string
		target error
	}{
		{"outgoing", edit(`"amount": 150000`, `"amount": -150000`), bankfeed.ErrNotCredit},
		{"zero", edit(`"amount": 150000`, `"amount": 0`), bankfeed.ErrMalformed},
		{"fraction", edit(`"amount": 150000`, `"amount": 150000.5`), bankfeed.ErrMalformed},
		{"exponent", edit(`"amount": 150000`, `"amount": 1.5e5`), bankfeed.ErrMalformed},
		{"amount string with space", edit(`"amount": 150000`, `"amount": "150000 "`), bankfeed.ErrMalformed},
		{"error set", edit(`"error": 0`, `"error": 1`), bankfeed.ErrMalformed},
		{"data is v1 array", edit(`"data": {`, `"data": [{`) + "]", bankfeed.ErrMalformed},
		{"float id", edit(`"id": 218897`, `"id": 218897.0`), bankfeed.ErrMalformed},
		{"bad date", edit(`2024-12-23 07:00:00`, `23/12/2024 07:00`), bankfeed.ErrMalformed},
		{"no account", edit(`"accountNumber": "123456789"`, `"accountNumber": ""`), bankfeed.ErrMalformed},
		{"not JSON", "<xml/>", bankfeed.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := bankfeed.ParseCasso([]byte(tt.body)); !errors.Is(err, tt.target) {
				t.Fatalf("ParseCasso err = %v, want %v", err, tt.target)
			}
		})
	}
}

// sepayBody follows the payload in SePay's webhook documentation.
const sepayBody = `{
  "id": 92704,
  "gateway": "Vietcombank",
  "transactionDate": "2023-03-25 14:02:37",
  "accountNumber": "0123499999",
  "code": null,
  "content": "MBVCB.3278907687.CP7K9Q2XT4.CT tu 0123456789 NGUYEN VAN A toi 0123499999",
  "transferType": "in",
  "transferAmount": 2277000,
  "accumulated": 19077000,
  "subAccount": null,
  "referenceCode": "MBVCB.3278907687",
  "description": ""
}`

func TestParseSePay(t *testing.T) {
	t.Parallel()
	got, err := bankfeed.ParseSePay([]byte(sepayBody))
	if err != nil {
		t.Fatal(err)
	}
	want := bankfeed.Transfer{
		Source: bankfeed.SourceSePay, ID: "92704", Account: "0123499999", Amount: decimal.NewFromInt(2277000),
		Content: "MBVCB.3278907687.CP7K9Q2XT4.CT tu 0123456789 NGUYEN VAN A toi 0123499999", Code: "CP7K9Q2XT4",
		BankRef: "MBVCB.3278907687", At: time.Date(2023, 3, 25, 7, 2, 37, 0, time.UTC),
	}
	if !sameTransfer(got, want) {
		t.Fatalf("ParseSePay =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseSePayCodeFallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, old, new, code, va string
	}{
		{"code only in SePay's field", `"code": null`, `"code": "CP7K9Q2XT4"`, "CP7K9Q2XT4", ""},
		{"code only in description", `"description": ""`, `"description": "BankAPINotify CP 7K9Q 2XT4"`, "CP7K9Q2XT4", ""},
		{"SePay's code is not ours", `"code": null`, `"code": "DH1709"`, "", ""},
		{"virtual account", `"subAccount": null`, `"subAccount": "VQRQ0001"`, "", "VQRQ0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Replace(strings.Replace(sepayBody, "CP7K9Q2XT4", "no code", 1), tt.old, tt.new, 1)
			got, err := bankfeed.ParseSePay([]byte(body))
			if err != nil || got.Code != tt.code || got.VirtualAccount != tt.va {
				t.Fatalf("ParseSePay = %+v, %v", got, err)
			}
		})
	}
}

func TestParseSePayRejects(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) string { return strings.Replace(sepayBody, old, new, 1) }
	tests := []struct {
		name   string
		body   string
		target error
	}{
		{"outgoing", edit(`"transferType": "in"`, `"transferType": "out"`), bankfeed.ErrNotCredit},
		{"unknown type", edit(`"transferType": "in"`, `"transferType": "credit"`), bankfeed.ErrMalformed},
		{"negative amount", edit(`2277000`, `-2277000`), bankfeed.ErrNotCredit},
		{"fraction", edit(`2277000`, `2277000.50`), bankfeed.ErrMalformed},
		{"exponent", edit(`2277000`, `2.277e6`), bankfeed.ErrMalformed},
		{"leading zero string", edit(`2277000`, `"02277000"`), bankfeed.ErrMalformed},
		{"missing amount", edit(`"transferAmount": 2277000,`, ``), bankfeed.ErrMalformed},
		{"bad date", edit(`2023-03-25 14:02:37`, `2023-03-25T14:02:37Z`), bankfeed.ErrMalformed},
		{"negative id", edit(`92704`, `-92704`), bankfeed.ErrMalformed},
		{"two objects", sepayBody + sepayBody, bankfeed.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := bankfeed.ParseSePay([]byte(tt.body)); !errors.Is(err, tt.target) {
				t.Fatalf("ParseSePay err = %v, want %v", err, tt.target)
			}
		})
	}
}

func TestVerifySePay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, header string
		ok          bool
	}{
		{"s3cr3t", "Apikey s3cr3t", true},
		{"s3cr3t", "apikey s3cr3t", true},
		{"s3cr3t", "  Apikey   s3cr3t ", true},
		{"s3cr3t", "Apikey s3cr3", false},
		{"s3cr3t", "Apikey s3cr3t2", false},
		{"s3cr3t", "Bearer s3cr3t", false},
		{"s3cr3t", "s3cr3t", false},
		{"s3cr3t", "", false},
		{"", "Apikey ", false},
	}
	for _, tt := range tests {
		err := bankfeed.VerifySePay(tt.key, tt.header)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, bankfeed.ErrUnauthorized) {
			t.Errorf("VerifySePay(%q, %q) = %v", tt.key, tt.header, err)
		}
	}
}

func sameTransfer(a, b bankfeed.Transfer) bool {
	ok := a.Amount.Equal(b.Amount) && a.At.Equal(b.At)
	a.Amount, b.Amount, a.At, b.At = decimal.Zero, decimal.Zero, time.Time{}, time.Time{}
	return ok && a == b
}

func ExampleVerifyCasso() {
	err := bankfeed.VerifyCasso(cassoKey, cassoHeader, []byte(cassoBody), cassoNow, 5*time.Minute)
	if err != nil {
		return // reply 401
	}
	tr, err := bankfeed.ParseCasso([]byte(cassoBody))
	fmt.Println(tr.Code, tr.Amount, err, bankfeed.Reply)
	// Output: CP7K9Q2XT4 150000 <nil> {"success":true}
}

func ExampleSignCasso() {
	h, _ := bankfeed.SignCasso(cassoKey, []byte(`{"error":0,"data":{"amount":10000}}`), time.UnixMilli(1700000000000))
	fmt.Println(h[:16])
	// Output: t=1700000000000,
}

func ExampleParseSePay() {
	tr, err := bankfeed.ParseSePay([]byte(sepayBody))
	fmt.Println(tr.ID, tr.Code, tr.Amount, err)
	// Output: 92704 CP7K9Q2XT4 2277000 <nil>
}

func checkTransfer(t *testing.T, tr bankfeed.Transfer, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if !tr.Amount.IsPositive() || !tr.Amount.IsInteger() || tr.ID == "" || tr.Account == "" {
		t.Fatalf("accepted %+v", tr)
	}
}

func FuzzParseCasso(f *testing.F) {
	f.Add([]byte(cassoBody))
	f.Add([]byte(`{"error":0,"data":{"amount":-1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := bankfeed.ParseCasso(body)
		checkTransfer(t, tr, err)
	})
}

func FuzzParseSePay(f *testing.F) {
	f.Add([]byte(sepayBody))
	f.Add([]byte(`{"transferType":"in","transferAmount":1e3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := bankfeed.ParseSePay(body)
		checkTransfer(t, tr, err)
	})
}

func FuzzVerifyCasso(f *testing.F) {
	f.Add([]byte(cassoBody), cassoHeader)
	f.Add([]byte(`{"a":"\u2028/é","b":[{"z":1,"y":2}]}`), "t=1,v1=00")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		_ = bankfeed.VerifyCasso(cassoKey, header, body, cassoNow, 0)
		h, err := bankfeed.SignCasso(cassoKey, body, cassoNow)
		if err != nil {
			return
		}
		if err := bankfeed.VerifyCasso(cassoKey, h, body, cassoNow, 0); err != nil {
			t.Fatalf("VerifyCasso(SignCasso(body)) = %v", err)
		}
	})
}
