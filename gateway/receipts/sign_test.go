package receipts_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/gateway/receipts"
)

// fixture is a receipt signed by a fresh key, and the key set that
// publishes that key.
func fixture(t testing.TB) (receipts.Receipt, []receipts.PublicKey) {
	t.Helper()
	s := receipts.EphemeralSigner()
	f := receipts.Fields{V: receipts.Version, ID: "rcp_0123456789abcdef01234567", Payment: "pay_0123456789abcdef01234567",
		Form: receipts.DefaultForm, Series: receipts.Series(2026), Number: receipts.FormatNumber(42),
		AgencyCode: "KBNN-HN", AgencyName: "Kho bạc Nhà nước Hà Nội (demo)", AgencyAddress: "Số 1 đường Demo, Hà Nội",
		AgencyTaxCode: "0100000001", PayerName: "Nguyễn Văn An", PayerID: receipts.MaskID("001099012345"),
		Kind: "fee", ServiceCode: "GPLX-CAPDOI", ServiceName: "Cấp đổi giấy phép lái xe", Reference: "HS-2026-000123",
		Amount: "1250000", AmountWords: receipts.WordsUint(1250000), Currency: "VND",
		Method: "vietqr", MethodName: "Chuyển khoản ngân hàng (VietQR)", ProviderTxnID: "FT26338000123",
		PaidAt: "2026-12-04T16:05:00+07:00", IssuedAt: "2026-12-04T16:05:01+07:00", KeyID: s.ID()}
	canon, err := receipts.Canonical(f)
	if err != nil {
		t.Fatal(err)
	}
	r := receipts.Receipt{Object: "receipt", Fields: f, Canonical: string(canon), Signature: s.Sign(canon),
		VerifyURL: "https://gw.example/verify/CP-26E/0000042?agency=KBNN-HN"}
	key := receipts.PublicKey{KeyID: s.ID(), KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(s.Public())}
	return r, []receipts.PublicKey{key}
}

func TestCanonicalFormIsSortedCompactAndVersioned(t *testing.T) {
	t.Parallel()
	r, _ := fixture(t)
	c := r.Canonical
	if !strings.HasPrefix(c, `{"agency_address":"Số 1 đường Demo, Hà Nội","agency_code":"KBNN-HN",`) {
		t.Errorf("canonical form does not start with sorted keys and raw UTF-8: %.80s", c)
	}
	for _, want := range []string{`"amount":"1250000"`, `"v":1}`, `"amount_words":"Một triệu hai trăm năm mươi nghìn đồng"`, `"livemode":false`} {
		if !strings.Contains(c, want) {
			t.Errorf("canonical form lacks %s: %s", want, c)
		}
	}
	if strings.ContainsAny(c, " \n") && strings.Contains(c, `": `) {
		t.Errorf("canonical form has insignificant whitespace: %s", c)
	}
	again, err := receipts.Canonical(r.Fields)
	if err != nil || string(again) != c {
		t.Errorf("canonical form is not stable: %v", err)
	}
}

// TestEveryChangedByteFailsVerification flips each byte of a receipt's
// canonical form in turn: none verifies.
func TestEveryChangedByteFailsVerification(t *testing.T) {
	t.Parallel()
	r, keys := fixture(t)
	if err := receipts.Check(keys, r); err != nil {
		t.Fatalf("the untouched receipt fails: %v", err)
	}
	raw := []byte(r.Canonical)
	for i := range raw {
		altered := bytes.Clone(raw)
		altered[i] ^= 0x01
		tampered := r
		tampered.Canonical = string(altered)
		// A changed key id names a key nobody published.
		if err := receipts.Check(keys, tampered); !errors.Is(err, receipts.ErrBadSignature) && !errors.Is(err, receipts.ErrUnknownKey) {
			t.Fatalf("byte %d changed: Check = %v, want ErrBadSignature", i, err)
		}
	}
	shown := r
	shown.Amount = "1350000" // the display lies, the signed bytes do not
	if err := receipts.Check(keys, shown); !errors.Is(err, receipts.ErrBadSignature) {
		t.Errorf("altered shown field: Check = %v", err)
	}
	if err := receipts.Check(nil, r); !errors.Is(err, receipts.ErrUnknownKey) {
		t.Errorf("no key published: Check = %v, want ErrUnknownKey", err)
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "receipt_key")
	made, err := receipts.GenerateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode(), err)
	}
	if _, err := receipts.GenerateKeyFile(path); err == nil {
		t.Fatal("GenerateKeyFile overwrote an existing key")
	}
	loaded, err := receipts.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID() != made.ID() || len(loaded.ID()) != 16 || !loaded.Public().Equal(made.Public()) {
		t.Fatalf("loaded key %s, made %s", loaded.ID(), made.ID())
	}
	msg := []byte(`{"v":1}`)
	if err := receipts.Verify(made.Public(), msg, loaded.Sign(msg)); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := receipts.LoadKeyFile(bad); err == nil {
		t.Fatal("LoadKeyFile accepted garbage")
	}
}

func TestMaskIDAndSeries(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{{"001099012345", "********2345"}, {"1234", "1234"}, {"", ""}, {"0312345678", "******5678"}}
	for _, c := range cases {
		if got := receipts.MaskID(c.in); got != c.want {
			t.Errorf("MaskID(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := receipts.Series(2026); got != "CP-26E" {
		t.Errorf("Series(2026) = %q", got)
	}
	if got := receipts.FormatNumber(42); got != "0000042" {
		t.Errorf("FormatNumber(42) = %q", got)
	}
}

func TestPDFAndPageShowTheReceipt(t *testing.T) {
	t.Parallel()
	r, keys := fixture(t)
	pdf, err := receipts.PDF(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Errorf("not a PDF with an embedded TrueType font (%d bytes)", len(pdf))
	}
	again, _ := receipts.PDF(r)
	if !bytes.Equal(pdf, again) {
		t.Error("rendering the same receipt twice gives different files")
	}
	page, err := receipts.HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Một triệu hai trăm năm mươi nghìn đồng", "1.250.000", "CP-26E", "0000042", "********2345", "data:image/png;base64,", "16:05:00 ngày 04/12/2026"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	ok, err := receipts.VerifyPage([]receipts.Receipt{r}, keys)
	if err != nil || !strings.Contains(string(ok), "Biên lai hợp lệ") {
		t.Errorf("verify page of a genuine receipt: %v", err)
	}
	tampered := r
	tampered.Canonical = strings.Replace(r.Canonical, "1250000", "1350000", 1)
	tampered.Amount = "1350000"
	bad, err := receipts.VerifyPage([]receipts.Receipt{tampered}, keys)
	if err != nil || !strings.Contains(string(bad), "KHÔNG hợp lệ") {
		t.Errorf("verify page of an altered receipt: %v", err)
	}
}
