package zalopay_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/zalopay"
)

// Keys of ZaloPay's public sandbox app 2553 (from its sample code).
const (
	key1 = "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL"
	key2 = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"
)

// Spec §4.4 callback vector: ZaloPay's documented example, MAC recomputed.
const (
	callbackData = `{"app_id":2553,"app_trans_id":"200904_2553_1598435687208","app_time":1599189392817,"app_user":"demo","amount":10000,"embed_data":"{\"merchantinfo\":\"embeddata123\",\"promotioninfo\":\"\"}","item":"[{\"itemid\":\"knb\",\"itemname\":\"kim nguyen bao\",\"itemprice\":198400,\"itemquantity\":1}]","zp_trans_id":200904000000389,"server_time":1599189413498,"channel":38,"merchant_user_id":"7ZMSl3nEg5sOUJzOLSoUFT8xKNQVaLOLXHB--8Eytqc","user_fee_amount":0,"discount_amount":0}`
	callbackMAC  = "d8d33baf449b31d7f9b94fa50d7c942c08cd4d83f28fa185557da21acb104f67"
)

func callbackBody(data, mac string) []byte {
	b, _ := json.Marshal(map[string]any{"data": data, "mac": mac, "type": 1})
	return b
}

func macHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestParseCallbackVector(t *testing.T) {
	t.Parallel()
	c, err := zalopay.ParseCallback(key2, callbackBody(callbackData, callbackMAC))
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != zalopay.TypeOrder || c.AppID != 2553 || c.AppTransID != "200904_2553_1598435687208" ||
		!c.Amount.Equal(decimal.NewFromInt(10000)) || c.ZPTransID != 200904000000389 || c.Channel != 38 ||
		!c.AppTime.Equal(time.UnixMilli(1599189392817)) || !c.ServerTime.Equal(time.UnixMilli(1599189413498)) ||
		!c.UserFeeAmount.IsZero() || !c.DiscountAmount.IsZero() || c.Data != callbackData ||
		c.EmbedData != `{"merchantinfo":"embeddata123","promotioninfo":""}` {
		t.Fatalf("ParseCallback = %+v", c)
	}
	if _, err := zalopay.ParseCallback(key2, callbackBody(callbackData, strings.ToUpper(callbackMAC))); err != nil {
		t.Fatalf("upper-case mac: %v", err)
	}
}

func TestParseCallbackRejects(t *testing.T) {
	t.Parallel()
	// Re-serialising data (here: a space after a colon) must break the MAC:
	// proof that we verify the raw string.
	respaced := strings.Replace(callbackData, `"amount":10000`, `"amount": 10000`, 1)
	signed := func(data string) []byte { return callbackBody(data, macHex(key2, data)) }
	tests := []struct {
		name   string
		body   []byte
		target error
	}{
		{"key1 instead of key2", callbackBody(callbackData, macHex(key1, callbackData)), zalopay.ErrSignature},
		{"tampered amount", callbackBody(strings.Replace(callbackData, "10000", "90000", 1), callbackMAC), zalopay.ErrSignature},
		{"re-serialised data", callbackBody(respaced, callbackMAC), zalopay.ErrSignature},
		{"mac not hex", callbackBody(callbackData, "zz"), zalopay.ErrSignature},
		{"no mac", callbackBody(callbackData, ""), zalopay.ErrSignature},
		{"not JSON", []byte("data=x&mac=y"), zalopay.ErrMalformed},
		{"trailing data", append(callbackBody(callbackData, callbackMAC), '1'), zalopay.ErrMalformed},
		{"data not JSON", signed("nope"), zalopay.ErrMalformed},
		{"amount fraction", signed(strings.Replace(callbackData, `"amount":10000`, `"amount":10000.5`, 1)), zalopay.ErrMalformed},
		{"amount exponent", signed(strings.Replace(callbackData, `"amount":10000`, `"amount":1e4`, 1)), zalopay.ErrMalformed},
		{"amount negative", signed(strings.Replace(callbackData, `"amount":10000`, `"amount":-10000`, 1)), zalopay.ErrMalformed},
		{"amount zero", signed(strings.Replace(callbackData, `"amount":10000`, `"amount":0`, 1)), zalopay.ErrMalformed},
		{"zp_trans_id exponent", signed(strings.Replace(callbackData, `200904000000389`, `2.00904e14`, 1)), zalopay.ErrMalformed},
		{"negative fee", signed(strings.Replace(callbackData, `"user_fee_amount":0`, `"user_fee_amount":-1`, 1)), zalopay.ErrMalformed},
		{"no app_trans_id", signed(strings.Replace(callbackData, `"app_trans_id"`, `"x"`, 1)), zalopay.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := zalopay.ParseCallback(key2, tt.body)
			if !errors.Is(err, tt.target) {
				t.Fatalf("ParseCallback err = %v, want %v", err, tt.target)
			}
		})
	}
}

func TestCreateOrderSign(t *testing.T) {
	t.Parallel()
	// Spec §4.4 create vector: self-computed, not independently verified.
	o := zalopay.CreateOrder{AppID: 2553, AppUser: "user123", AppTransID: "240101_123456", AppTime: 1704067200000, Amount: 50000}
	o.Sign(key1)
	if o.MAC != "25582ddf00033e1723a7a4d7daa2f6c7a7a93174489b9c470cfd45dd30377254" || o.EmbedData != "{}" || o.Item != "[]" {
		t.Fatalf("Sign = %+v", o)
	}
}

func TestTransID(t *testing.T) {
	t.Parallel()
	// 17:30 UTC on 31 Dec is already 1 Jan in Vietnam.
	now := time.Date(2023, 12, 31, 17, 30, 0, 0, time.UTC)
	if got := zalopay.TransID(now, "CP7K9Q2XT4"); got != "240101_CP7K9Q2XT4" {
		t.Fatalf("TransID = %s", got)
	}
}

func TestCreateOrderValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // 07:00 ICT
	ok := zalopay.CreateOrder{
		AppID: 2553, AppUser: "civicpay", AppTransID: zalopay.TransID(now, "CP7K9Q2XT4"),
		AppTime: now.UnixMilli(), Amount: 50000, Description: "Le phi", EmbedData: `{"redirecturl":"https://x"}`,
	}
	if err := ok.Validate(now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*zalopay.CreateOrder)
	}{
		{"yesterday's prefix", func(o *zalopay.CreateOrder) { o.AppTransID = "231231_CP7K9Q2XT4" }},
		{"app_time in seconds", func(o *zalopay.CreateOrder) { o.AppTime = now.Unix() }},
		{"no user", func(o *zalopay.CreateOrder) { o.AppUser = "" }},
		{"zero amount", func(o *zalopay.CreateOrder) { o.Amount = 0 }},
		{"short expiry", func(o *zalopay.CreateOrder) { o.ExpireDurationSeconds = 60 }},
		{"embed_data array", func(o *zalopay.CreateOrder) { o.EmbedData = "[]" }},
		{"item object", func(o *zalopay.CreateOrder) { o.Item = "{}" }},
		{"item broken", func(o *zalopay.CreateOrder) { o.Item = "[" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := ok
			tt.edit(&o)
			if err := o.Validate(now); !errors.Is(err, zalopay.ErrInvalid) {
				t.Fatalf("Validate = %v", err)
			}
		})
	}
}

func TestQuerySign(t *testing.T) {
	t.Parallel()
	q := zalopay.QueryRequest{AppID: 2553, AppTransID: "240101_123456"}
	q.Sign(key1)
	if want := macHex(key1, "2553|240101_123456|"+key1); q.MAC != want {
		t.Fatalf("MAC = %s, want %s", q.MAC, want)
	}
}

func TestCallbackReply(t *testing.T) {
	t.Parallel()
	for r, want := range map[zalopay.CallbackReply]string{
		zalopay.ReplySuccess: `{"return_code":1,"return_message":"success"}`,
		zalopay.ReplyBadMAC:  `{"return_code":-1,"return_message":"mac not equal"}`,
		zalopay.ReplyRetry:   `{"return_code":0,"return_message":"retry"}`,
	} {
		if got := string(r.JSON()); got != want {
			t.Errorf("JSON = %s, want %s", got, want)
		}
	}
}

func ExampleParseCallback() {
	c, err := zalopay.ParseCallback(key2, callbackBody(callbackData, callbackMAC))
	if err != nil {
		fmt.Printf("%s\n", zalopay.ReplyBadMAC.JSON())
		return
	}
	fmt.Println(c.AppTransID, c.Amount, c.ZPTransID)
	fmt.Printf("%s\n", zalopay.ReplySuccess.JSON())
	// Output:
	// 200904_2553_1598435687208 10000 200904000000389
	// {"return_code":1,"return_message":"success"}
}

func FuzzParseCallback(f *testing.F) {
	f.Add(callbackBody(callbackData, callbackMAC), "")
	f.Add([]byte(`{"data":"{}","mac":"","type":1}`), "{}")
	f.Fuzz(func(t *testing.T, body []byte, data string) {
		if c, err := zalopay.ParseCallback(key2, body); err == nil && (!c.Amount.IsPositive() || !c.Amount.IsInteger()) {
			t.Fatalf("accepted amount %s", c.Amount)
		}
		// Any data string, correctly signed, verifies; decoding may still fail.
		_, err := zalopay.ParseCallback(key2, callbackBody(data, macHex(key2, data)))
		if errors.Is(err, zalopay.ErrSignature) && !strings.ContainsRune(data, '\uFFFD') && validUTF8(data) {
			t.Fatalf("signed data %q failed MAC: %v", data, err)
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }
