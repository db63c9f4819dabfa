// Package credentials keeps providers' live credentials encrypted at rest
// with envelope encryption: each record is sealed with AES-256-GCM under its
// own random data key, and the data key is itself sealed under the key-
// encryption key (KEK) read from CIVICPAY_MASTER_KEY_FILE. The KEK never
// reaches the database, the logs or an API answer, and rotating it re-wraps
// the small data keys without touching the records' ciphertexts.
package credentials

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Keyring holds a KEK. Its ID (a hash prefix of the key) is stored with
// every record, so a record wrapped under another KEK is recognised
// instead of failing as tampered.
type Keyring struct {
	id  string
	kek cipher.AEAD
}

// Sealed is a record as stored: the wrapped data key (nonce first), the
// record's nonce and ciphertext, and the ID of the KEK that wrapped it.
type Sealed struct {
	KEKID      string
	WrappedKey []byte
	Nonce      []byte
	Ciphertext []byte
}

var (
	// ErrWrongKEK is a record wrapped under another master key.
	ErrWrongKEK = errors.New("credentials: record is wrapped under another master key")
	// ErrTampered is a record that does not authenticate: changed, moved
	// to another row, or decrypted with the wrong key.
	ErrTampered = errors.New("credentials: record does not authenticate")
)

// NewKeyring makes a keyring from a 32-byte KEK.
func NewKeyring(kek []byte) (*Keyring, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("credentials: the master key must be 32 bytes, got %d", len(kek))
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("civicpay-kek-id:"), kek...))
	return &Keyring{id: hex.EncodeToString(sum[:6]), kek: aead}, nil
}

// ID names the KEK without revealing it.
func (k *Keyring) ID() string { return k.id }

// LoadKeyring reads a KEK file: 32 bytes as 64 hex digits or as base64
// (surrounding whitespace ignored). The file should be readable by the
// gateway's user only; a file others may read is refused.
func LoadKeyring(path string) (*Keyring, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: master key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("credentials: master key file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: master key file: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	var kek []byte
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		kek = b
	} else if b, err := base64.StdEncoding.DecodeString(text); err == nil && len(b) == 32 {
		kek = b
	} else {
		return nil, fmt.Errorf("credentials: master key file %s must hold 32 bytes as 64 hex digits or base64", path)
	}
	return NewKeyring(kek)
}

// WriteKeyFile makes a new random KEK file (mode 0600) unless one exists;
// `make run` uses it for a development key in .data/.
func WriteKeyFile(path string) error {
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(hex.EncodeToString(kek) + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext under a fresh data key. aad names the record
// (agency, mode, provider) so a ciphertext copied to another row fails.
func (k *Keyring) Seal(plaintext, aad []byte) (Sealed, error) {
	dek := make([]byte, 32)
	if _, err := rand.Read(dek); err != nil {
		return Sealed{}, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return Sealed{}, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, err
	}
	wrapped, err := k.wrap(dek, aad)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{KEKID: k.id, WrappedKey: wrapped, Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, plaintext, aad)}, nil
}

// Open decrypts a record sealed by Seal under this keyring's KEK.
func (k *Keyring) Open(s Sealed, aad []byte) ([]byte, error) {
	dek, err := k.unwrap(s, aad)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(nil, s.Nonce, s.Ciphertext, aad)
	if err != nil {
		return nil, ErrTampered
	}
	return out, nil
}

// Rewrap moves a record from the old keyring's KEK to k's: only the data
// key is decrypted and encrypted again.
func (k *Keyring) Rewrap(s Sealed, old *Keyring, aad []byte) (Sealed, error) {
	dek, err := old.unwrap(s, aad)
	if err != nil {
		return Sealed{}, err
	}
	defer clear(dek)
	wrapped, err := k.wrap(dek, aad)
	if err != nil {
		return Sealed{}, err
	}
	s.KEKID, s.WrappedKey = k.id, wrapped
	return s, nil
}

func (k *Keyring) wrap(dek, aad []byte) ([]byte, error) {
	nonce := make([]byte, k.kek.NonceSize(), k.kek.NonceSize()+len(dek)+k.kek.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return k.kek.Seal(nonce, nonce, dek, aad), nil
}

func (k *Keyring) unwrap(s Sealed, aad []byte) ([]byte, error) {
	if s.KEKID != k.id {
		return nil, ErrWrongKEK
	}
	n := k.kek.NonceSize()
	if len(s.WrappedKey) < n {
		return nil, ErrTampered
	}
	dek, err := k.kek.Open(nil, s.WrappedKey[:n], s.WrappedKey[n:], aad)
	if err != nil {
		return nil, ErrTampered
	}
	return dek, nil
}
