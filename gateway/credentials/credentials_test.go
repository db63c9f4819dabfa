package credentials_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/gateway/demo"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func ring(t *testing.T) *credentials.Keyring {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	k, err := credentials.NewKeyring(kek)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	a, b := ring(t), ring(t)
	secret := []byte(`{"secret_key":"K951B6PE1waDMi640xX08PD3vg6EkVlz"}`)
	s, err := a.Seal(secret, []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Ciphertext, []byte("K951B6PE")) || bytes.Contains(s.WrappedKey, []byte("K951B6PE")) {
		t.Fatal("the plaintext shows in the sealed record")
	}
	if got, err := a.Open(s, []byte("row-1")); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	flipped := s
	flipped.Ciphertext = append([]byte(nil), s.Ciphertext...)
	flipped.Ciphertext[0] ^= 1
	for name, c := range map[string]struct {
		k   *credentials.Keyring
		s   credentials.Sealed
		aad string
		err error
	}{
		"another row":        {a, s, "row-2", credentials.ErrTampered},
		"a flipped bit":      {a, flipped, "row-1", credentials.ErrTampered},
		"another master key": {b, s, "row-1", credentials.ErrWrongKEK},
	} {
		if _, err := c.k.Open(c.s, []byte(c.aad)); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
	moved, err := b.Rewrap(s, a, []byte("row-1"))
	if err != nil || !bytes.Equal(moved.Ciphertext, s.Ciphertext) || moved.KEKID != b.ID() {
		t.Fatalf("Rewrap: %v", err)
	}
	if got, err := b.Open(moved, []byte("row-1")); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open after Rewrap = %q, %v", got, err)
	}
	if _, err := a.Open(moved, []byte("row-1")); !errors.Is(err, credentials.ErrWrongKEK) {
		t.Fatalf("the old key still opens a rewrapped record: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := credentials.WriteKeyFile(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if err := credentials.WriteKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(first, again) {
		t.Fatal("WriteKeyFile replaced an existing key")
	}
	k1, err := credentials.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := credentials.LoadKeyring(path)
	if k1.ID() != k2.ID() || strings.Contains(string(first), k1.ID()) {
		t.Fatal("the key's ID must be stable and not the key")
	}
	for name, body := range map[string]string{"short": "abcd\n", "world-readable": strings.Repeat("ab", 32)} {
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o600)
		if name == "world-readable" {
			mode = 0o644
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		if _, err := credentials.LoadKeyring(p); err == nil {
			t.Errorf("%s key file accepted", name)
		}
	}
}

func TestStoreAndRotateMaster(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	old, next := ring(t), ring(t)
	_, err := func() (any, error) {
		_, _, err := credentials.Set(ctx, pool, old, "KBNN-HN", true, "vnpay", credentials.Input{Fields: map[string]string{"tmn_code": "X", "bogus": "y"}})
		return nil, err
	}()
	var inv invalid.Errors
	if !errors.As(err, &inv) || len(inv) != 3 {
		t.Fatalf("vnpay live without hash_secret, with a bogus field and no base URL: %v, want 3 field errors", err)
	}
	momo := map[string]string{"partner_code": "MOMOLIVE01", "access_key": "F8BBA842ECF85", "secret_key": "K951B6PE1waDMi640xX08PD3vg6EkVlz"}
	before, view, err := credentials.Set(ctx, pool, old, "KBNN-HN", true, "momo", credentials.Input{Fields: momo})
	if err != nil || before != nil || view.BaseURL != "https://payment.momo.vn" || view.Fields["secret_key"] != "…kVlz" {
		t.Fatalf("Set = %+v, %v", view, err)
	}
	var raw string
	if err := pool.QueryRow(ctx, `SELECT row_to_json(c)::text FROM provider_credentials c`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	for _, v := range momo {
		if strings.Contains(raw, v) {
			t.Fatalf("a secret is stored in clear: %s", raw)
		}
	}
	c, err := credentials.Load(ctx, pool, old, "KBNN-HN", true, "momo")
	if err != nil || c.Secrets["secret_key"] != momo["secret_key"] {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	if ok, _ := credentials.LiveAgency(ctx, pool, "KBNN-HN"); !ok {
		t.Fatal("an agency with live credentials is not live")
	}
	if ok, _ := credentials.LiveAgency(ctx, pool, "KBNN-HCM"); ok {
		t.Fatal("an agency without live credentials is live")
	}
	for i := range 3 {
		if _, _, err := credentials.Set(ctx, pool, old, fmt.Sprintf("KBNN-%s", []string{"HCM", "DNG", "HP"}[i]), false, "sepay",
			credentials.Input{Fields: map[string]string{"api_key": "sepay-key-000" + fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := credentials.RotateMaster(ctx, pool, old, next)
	if err != nil || n != 4 {
		t.Fatalf("RotateMaster = %d, %v", n, err)
	}
	if n, err := credentials.RotateMaster(ctx, pool, old, next); err != nil || n != 0 {
		t.Fatalf("a second rotation = %d, %v; want nothing to do", n, err)
	}
	if _, err := credentials.Load(ctx, pool, old, "KBNN-HN", true, "momo"); !errors.Is(err, credentials.ErrWrongKEK) {
		t.Fatalf("the old master key still opens: %v", err)
	}
	if c, err := credentials.Load(ctx, pool, next, "KBNN-HN", true, "momo"); err != nil || c.Secrets["access_key"] != momo["access_key"] {
		t.Fatalf("after rotation: %+v, %v", c, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE provider_credentials SET agency_code = 'KBNN-QNI' WHERE agency_code = 'KBNN-HP'`); err != nil {
		t.Fatal(err)
	}
	if _, err := credentials.Load(ctx, pool, next, "KBNN-QNI", false, "sepay"); !errors.Is(err, credentials.ErrTampered) {
		t.Fatalf("a record moved to another agency must not open: %v", err)
	}
}
