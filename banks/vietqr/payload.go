package vietqr

import (
	"strings"
	"unicode/utf8"
)

// NAPAS identifiers carried in tag 38.
const (
	GUID           = "A000000727" // 38.00: NAPAS application ID
	ServiceAccount = "QRIBFTTA"   // 38.02: 24/7 transfer to an account
	ServiceCard    = "QRIBFTTC"   // 38.02: 24/7 transfer to a card number
)

// Field limits from the NAPAS profile.
const (
	MaxAccount      = 19
	MaxAmountDigits = 13
	MaxMerchantName = 25
	MaxMerchantCity = 15
)

// Payload is what a VietQR code says. Amount is a digit string rather than
// a decimal so this package stays free of non-stdlib imports.
type Payload struct {
	Static       bool   // tag 01 = 11 (reusable); false = 12 (one payment)
	BIN          string // 38.01.00: beneficiary bank BIN, 6 digits
	Account      string // 38.01.01: account or card number
	Service      string // 38.02: ServiceAccount (Build's default) or ServiceCard
	Amount       string // 54: whole đồng, "" for payer-entered
	Purpose      string // 62.08: transfer content, printable ASCII
	MCC          string // 52, merchant codes only
	MerchantName string // 59, merchant codes only
	MerchantCity string // 60, merchant codes only
}

// Build encodes p in the tag order VietQR banks emit (and their test
// vectors expect), appending the CRC.
func Build(p Payload) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	if p.Service == "" {
		p.Service = ServiceAccount
	}
	var b strings.Builder
	put(&b, "00", "01")
	put(&b, "01", initiation(p.Static))
	put(&b, "38", merchantAccount(p))
	putOpt(&b, "52", p.MCC)
	put(&b, "53", "704")
	putOpt(&b, "54", p.Amount)
	put(&b, "58", "VN")
	putOpt(&b, "59", p.MerchantName)
	putOpt(&b, "60", p.MerchantCity)
	if p.Purpose != "" {
		put(&b, "62", tlv("08", p.Purpose))
	}
	b.WriteString("6304")
	s := b.String()
	return s + CRC16(s), nil
}

func initiation(static bool) string {
	if static {
		return "11"
	}
	return "12"
}

func merchantAccount(p Payload) string {
	return tlv("00", GUID) + tlv("01", tlv("00", p.BIN)+tlv("01", p.Account)) + tlv("02", p.Service)
}

// tlv assumes an ASCII value of 1..99 bytes; validate guarantees both.
func tlv(id, value string) string {
	n := len(value)
	return id + string([]byte{byte('0' + n/10), byte('0' + n%10)}) + value
}

func put(b *strings.Builder, id, value string) { b.WriteString(tlv(id, value)) }

func putOpt(b *strings.Builder, id, value string) {
	if value != "" {
		put(b, id, value)
	}
}

func (p Payload) validate() error {
	if err := checkRouting(p.BIN, p.Account, p.Amount); err != nil {
		return err
	}
	switch p.Service {
	case "", ServiceAccount, ServiceCard:
	default:
		return &FieldError{"Service", "must be " + ServiceAccount + " or " + ServiceCard}
	}
	if err := checkText("Purpose", p.Purpose, MaxPurpose); err != nil {
		return err
	}
	if p.MCC != "" && (len(p.MCC) != 4 || !isDigits(p.MCC)) {
		return &FieldError{"MCC", "must be 4 digits"}
	}
	if err := checkText("MerchantName", p.MerchantName, MaxMerchantName); err != nil {
		return err
	}
	return checkText("MerchantCity", p.MerchantCity, MaxMerchantCity)
}

// checkRouting validates the fields that decide where money goes; Parse
// applies it too, so a decoded Payload is always safe to compare.
func checkRouting(bin, account, amount string) error {
	if len(bin) != 6 || !isDigits(bin) {
		return &FieldError{"BIN", "must be 6 digits"}
	}
	if len(account) > MaxAccount || !isAlnum(account) {
		return &FieldError{"Account", "must be 1 to 19 letters or digits"}
	}
	if amount == "" {
		return nil
	}
	if len(amount) > MaxAmountDigits || !isDigits(amount) || amount[0] == '0' {
		return &FieldError{"Amount", "must be whole đồng: digits, no leading zero, at most 13"}
	}
	return nil
}

func checkText(field, s string, max int) error {
	if !isPrintableASCII(s) {
		return &FieldError{field, "must be printable ASCII (see Purpose / StripDiacritics)"}
	}
	if len(s) > max {
		return &FieldError{field, "longer than the NAPAS limit"}
	}
	return nil
}

// Verify refuses a payload that would not pay what want describes: it must
// parse, carry a correct CRC and name the same bank, account, amount and
// purpose (and service, if want sets one). The widget calls it before
// showing a code it did not build itself.
func Verify(payload string, want Payload) error {
	got, err := Parse(payload)
	if err != nil {
		return err
	}
	checks := [...]struct{ field, got, want string }{
		{"BIN", got.BIN, want.BIN},
		{"Account", got.Account, want.Account},
		{"Amount", got.Amount, want.Amount},
		{"Purpose", got.Purpose, want.Purpose},
	}
	for _, c := range checks {
		if c.got != c.want {
			return &MismatchError{c.field, c.got, c.want}
		}
	}
	if want.Service != "" && got.Service != want.Service {
		return &MismatchError{"Service", got.Service, want.Service}
	}
	return nil
}

// firstInvalidUTF8 is only called on invalid input.
func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(s)
}
