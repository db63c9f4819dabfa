package vietqr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/banks/vietqr"
)

// Vectors from docs/specs/providers.md §1.6 (CRCs independently recomputed).
const (
	vector1 = "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4"
	vector2 = "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6"
	vector6 = "00020101021138480010A00000072701300006970403011621129950446040255204581253037045802VN5910PHUONG CAC6005HANOI62110307NPS686963045802"
)

var (
	payload1 = vietqr.Payload{Static: true, BIN: "970423", Account: "0099999999", Service: vietqr.ServiceAccount}
	payload2 = vietqr.Payload{BIN: "970422", Account: "0023457923442", Service: vietqr.ServiceAccount, Amount: "40123", Purpose: "test text string"}
	payload6 = vietqr.Payload{Static: true, BIN: "970403", Account: "2112995044604025", MCC: "5812", MerchantName: "PHUONG CAC", MerchantCity: "HANOI"}
)

// withCRC finishes a hand-written payload body that ends in "6304".
func withCRC(body string) string { return body + vietqr.CRC16(body) }

func TestCRC16(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"123456789":              "29B1",
		"":                       "FFFF",
		vector1[:len(vector1)-4]: "CBB4",
		vector2[:len(vector2)-4]: "D9C6",
		vector6[:len(vector6)-4]: "5802",
	}
	for in, want := range tests {
		if got := vietqr.CRC16(in); got != want {
			t.Errorf("CRC16(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBuildVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    vietqr.Payload
		want string
	}{
		{"vector1", payload1, vector1},
		{"vector1 default service", vietqr.Payload{Static: true, BIN: "970423", Account: "0099999999"}, vector1},
		{"vector2", payload2, vector2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := vietqr.Build(tt.p)
			if err != nil || got != tt.want {
				t.Fatalf("Build = %q, %v\nwant  %q", got, err, tt.want)
			}
		})
	}
}

func TestParseVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want vietqr.Payload
	}{
		{"vector1", vector1, payload1},
		{"vector2", vector2, payload2},
		{"vector6 (no service code, 62.03 ignored)", vector6, payload6},
		{"UTF-8 merchant name counts characters", withCRC("000201010211" +
			"38540010A00000072701240006970423011000999999990208QRIBFTTA" +
			"530370458" + "02VN" + "5906HÀ NỘI" + "6304"),
			vietqr.Payload{Static: true, BIN: "970423", Account: "0099999999", Service: vietqr.ServiceAccount, MerchantName: "HÀ NỘI"}},
		{"no point of initiation reads as static", withCRC("000201" +
			"38540010A00000072701240006970423011000999999990208QRIBFTTA" +
			"53037045802VN6304"), payload1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := vietqr.Parse(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %+v, %v\nwant    %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseAcceptsLowerCaseCRC(t *testing.T) {
	t.Parallel()
	in := vector1[:len(vector1)-4] + "cbb4"
	if got, err := vietqr.Parse(in); err != nil || got != payload1 {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	body1 := vector1[:len(vector1)-8]
	tests := []struct {
		name   string
		in     string
		target error
		offset int // checked for *SyntaxError when >= 0
	}{
		{"empty", "", vietqr.ErrMalformed, -1},
		{"liopay invalid-CRC fixture", vector6[:len(vector6)-4] + "0000", vietqr.ErrCRC, -1},
		{"flipped amount digit", strings.Replace(vector2, "40123", "40124", 1), vietqr.ErrCRC, -1},
		{"data after CRC", vector1 + "00", vietqr.ErrMalformed, -1},
		{"truncated", vector1[:40], vietqr.ErrMalformed, -1},
		{"does not start with 000201", withCRC("0002020102113854" + body1[16:] + "6304"), vietqr.ErrMalformed, 0},
		{"no CRC object", body1, vietqr.ErrMalformed, -1},
		{"non-digit length", withCRC("0002010102113X" + body1[14:] + "6304"), vietqr.ErrMalformed, 12},
		{"zero length", withCRC("000201010211" + "5000" + body1[12:] + "6304"), vietqr.ErrMalformed, 14},
		{"duplicate root ID", withCRC(body1 + "5802VN6304"), vietqr.ErrMalformed, -1},
		{"duplicate nested ID", withCRC("000201010211" +
			"38540010A00000072701240006970423011000999999990008QRIBFTTA" + "53037045802VN6304"), vietqr.ErrMalformed, 58},
		{"invalid UTF-8", withCRC("000201010211" + "5902\xff\xfe" + body1[12:] + "6304"), vietqr.ErrMalformed, 16},
		{"missing tag 38", withCRC("00020101021153037045802VN6304"), vietqr.ErrMalformed, 0},
		{"not NAPAS GUID", withCRC("000201010211" +
			"38540010A00000077701240006970423011000999999990208QRIBFTTA" + "53037045802VN6304"), vietqr.ErrInvalid, -1},
		{"USD", withCRC(strings.Replace(body1, "5303704", "5303840", 1) + "6304"), vietqr.ErrInvalid, -1},
		{"fractional amount", withCRC(strings.Replace(vector2[:len(vector2)-8], "540540123", "54084012.500", 1) + "6304"), vietqr.ErrInvalid, -1},
		{"bad initiation", withCRC(strings.Replace(body1, "010211", "010213", 1) + "6304"), vietqr.ErrInvalid, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := vietqr.Parse(tt.in)
			if !errors.Is(err, tt.target) {
				t.Fatalf("Parse err = %v, want %v", err, tt.target)
			}
			var se *vietqr.SyntaxError
			if tt.offset >= 0 && (!errors.As(err, &se) || se.Offset != tt.offset) {
				t.Fatalf("err = %v, want SyntaxError at %d", err, tt.offset)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	ok := payload2
	tests := []struct {
		name  string
		edit  func(*vietqr.Payload)
		field string
	}{
		{"BIN 5 digits", func(p *vietqr.Payload) { p.BIN = "97042" }, "BIN"},
		{"BIN letters", func(p *vietqr.Payload) { p.BIN = "97042A" }, "BIN"},
		{"account empty", func(p *vietqr.Payload) { p.Account = "" }, "Account"},
		{"account 20 chars", func(p *vietqr.Payload) { p.Account = "0023457923442ASDFLJ1" }, "Account"},
		{"account punctuation", func(p *vietqr.Payload) { p.Account = "0023-4579" }, "Account"},
		{"amount zero", func(p *vietqr.Payload) { p.Amount = "0" }, "Amount"},
		{"amount leading zero", func(p *vietqr.Payload) { p.Amount = "040123" }, "Amount"},
		{"amount fraction", func(p *vietqr.Payload) { p.Amount = "40123.5" }, "Amount"},
		{"amount negative", func(p *vietqr.Payload) { p.Amount = "-1" }, "Amount"},
		{"amount 14 digits", func(p *vietqr.Payload) { p.Amount = "10000000000000" }, "Amount"},
		{"purpose diacritics", func(p *vietqr.Payload) { p.Purpose = "chuyển khoản" }, "Purpose"},
		{"purpose 26 chars", func(p *vietqr.Payload) { p.Purpose = strings.Repeat("x", 26) }, "Purpose"},
		{"purpose newline", func(p *vietqr.Payload) { p.Purpose = "a\nb" }, "Purpose"},
		{"unknown service", func(p *vietqr.Payload) { p.Service = "QRCASH" }, "Service"},
		{"MCC", func(p *vietqr.Payload) { p.MCC = "58a2" }, "MCC"},
		{"merchant city", func(p *vietqr.Payload) { p.MerchantCity = "THANH PHO HO CHI MINH" }, "MerchantCity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ok
			tt.edit(&p)
			_, err := vietqr.Build(p)
			var fe *vietqr.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, vietqr.ErrInvalid) {
				t.Fatalf("Build err = %v, want FieldError on %s", err, tt.field)
			}
		})
	}
}

func TestPurpose(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"test text string", "test text string"},
		{"chuyển khoản", "chuyen khoan"},
		{"ủng hộ lũ lụt", "ung ho lu lut"},
		{"ĐÓNG HỌC PHÍ đợt 2", "DONG HOC PHI dot 2"},
		{"nu\u0301i ru\u031b\u0300ng", "nui rung"}, // decomposed (NFD) input
		{"  CP7K9Q2XW4 lệ phí 🚗 ", "CP7K9Q2XW4 le phi"},
		{"CP7K9Q2XW4 nop phat giao thong", "CP7K9Q2XW4 nop phat giao"}, // cut at 25, trailing space dropped
		{"tab\tand\nnewline", "tabandnewline"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := vietqr.Purpose(tt.in); got != tt.want {
			t.Errorf("Purpose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripDiacriticsCoversAlphabet(t *testing.T) {
	t.Parallel()
	groups := map[string]string{
		"àáảãạăằắẳẵặâầấẩẫậ": "a", "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ": "A",
		"èéẻẽẹêềếểễệ": "e", "ÈÉẺẼẸÊỀẾỂỄỆ": "E",
		"ìíỉĩị": "i", "ÌÍỈĨỊ": "I",
		"òóỏõọôồốổỗộơờớởỡợ": "o", "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ": "O",
		"ùúủũụưừứửữự": "u", "ÙÚỦŨỤƯỪỨỬỮỰ": "U",
		"ỳýỷỹỵ": "y", "ỲÝỶỸỴ": "Y",
		"đ": "d", "Đ": "D",
	}
	for in, base := range groups {
		want := strings.Repeat(base, len([]rune(in)))
		if got := vietqr.StripDiacritics(in); got != want {
			t.Errorf("StripDiacritics(%q) = %q, want %q", in, got, want)
		}
	}
	if got := vietqr.StripDiacritics("Tiền 5€ 主"); got != "Tien 5€ 主" {
		t.Errorf("non-Vietnamese runes must survive, got %q", got)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    vietqr.Payload
		target  error
		field   string
	}{
		{"matches", vector2, payload2, nil, ""},
		{"matches without service", vector2, vietqr.Payload{BIN: "970422", Account: "0023457923442", Amount: "40123", Purpose: "test text string"}, nil, ""},
		{"other bank", vector2, vietqr.Payload{BIN: "970436", Account: "0023457923442", Amount: "40123", Purpose: "test text string"}, vietqr.ErrMismatch, "BIN"},
		{"other account", vector2, vietqr.Payload{BIN: "970422", Account: "0023457923443", Amount: "40123", Purpose: "test text string"}, vietqr.ErrMismatch, "Account"},
		{"other amount", vector2, vietqr.Payload{BIN: "970422", Account: "0023457923442", Amount: "4012", Purpose: "test text string"}, vietqr.ErrMismatch, "Amount"},
		{"payer-entered amount", vector1, vietqr.Payload{BIN: "970423", Account: "0099999999", Amount: "10000"}, vietqr.ErrMismatch, "Amount"},
		{"other purpose", vector2, vietqr.Payload{BIN: "970422", Account: "0023457923442", Amount: "40123", Purpose: "test text"}, vietqr.ErrMismatch, "Purpose"},
		{"card service", vector2, vietqr.Payload{BIN: "970422", Account: "0023457923442", Amount: "40123", Purpose: "test text string", Service: vietqr.ServiceCard}, vietqr.ErrMismatch, "Service"},
		{"tampered", strings.Replace(vector2, "40123", "90123", 1), payload2, vietqr.ErrCRC, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := vietqr.Verify(tt.payload, tt.want)
			if !errors.Is(err, tt.target) || (tt.target == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.target)
			}
			var me *vietqr.MismatchError
			if tt.field != "" && (!errors.As(err, &me) || me.Field != tt.field) {
				t.Fatalf("Verify = %v, want mismatch on %s", err, tt.field)
			}
		})
	}
}

func ExampleBuild() {
	s, err := vietqr.Build(vietqr.Payload{
		BIN:     "970422",
		Account: "0023457923442",
		Amount:  "40123",
		Purpose: vietqr.Purpose("test text string"),
	})
	fmt.Println(s, err)
	// Output: 00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA53037045405401235802VN62200816test text string6304D9C6 <nil>
}

func ExampleParse() {
	p, err := vietqr.Parse(vector2)
	fmt.Printf("%s %s %s %q %v\n", p.BIN, p.Account, p.Amount, p.Purpose, err)
	_, err = vietqr.Parse(vector2[:len(vector2)-4] + "0000")
	fmt.Println(err)
	// Output:
	// 970422 0023457923442 40123 "test text string" <nil>
	// vietqr: CRC mismatch: payload says "0000", content hashes to D9C6
}

func ExamplePurpose() {
	fmt.Println(vietqr.Purpose("CP7K9Q2XW4 Lệ phí trước bạ xe máy"))
	// Output: CP7K9Q2XW4 Le phi truoc b
}

// normal fills the defaults Build applies so decoded and built payloads
// compare equal.
func normal(p vietqr.Payload) vietqr.Payload {
	if p.Service == "" {
		p.Service = vietqr.ServiceAccount
	}
	return p
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{vector1, vector2, vector6, "", "000201", vector6[:len(vector6)-4] + "0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := vietqr.Parse(s)
		if err != nil {
			return
		}
		built, err := vietqr.Build(p)
		if err != nil {
			return // Parse is more lenient than Build on merchant text and services
		}
		again, err := vietqr.Parse(built)
		if err != nil || again != normal(p) {
			t.Fatalf("Parse(Build(%+v)) = %+v, %v", p, again, err)
		}
		if err := vietqr.Verify(built, p); err != nil {
			t.Fatalf("Verify(Build(p), p) = %v", err)
		}
	})
}

func FuzzBuild(f *testing.F) {
	f.Add(false, "970422", "0023457923442", "40123", "test text string", "")
	f.Add(true, "970423", "0099999999", "", "", "QRIBFTTC")
	f.Fuzz(func(t *testing.T, static bool, bin, account, amount, purpose, service string) {
		p := vietqr.Payload{Static: static, BIN: bin, Account: account, Amount: amount, Purpose: purpose, Service: service}
		s, err := vietqr.Build(p)
		if err != nil {
			return
		}
		got, err := vietqr.Parse(s)
		if err != nil || got != normal(p) {
			t.Fatalf("Parse(Build(%+v)) = %+v, %v", p, got, err)
		}
	})
}
