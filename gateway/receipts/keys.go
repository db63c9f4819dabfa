package receipts

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Signer signs receipts with the gateway's Ed25519 key. The key id is a
// short hash of the public key, so a verifier picks the right key from
// the published set and keys can rotate without renumbering anything.
type Signer struct {
	priv ed25519.PrivateKey
	id   string
	// Ephemeral is a key made at start-up because none was configured:
	// what it signs stays verifiable (its public key is stored), but a
	// restart starts another key.
	Ephemeral bool
}

// NewSigner wraps a private key.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	return &Signer{priv: priv, id: KeyID(priv.Public().(ed25519.PublicKey))}
}

// EphemeralSigner makes a fresh key for a gateway started without one.
func EphemeralSigner() *Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	s := NewSigner(priv)
	s.Ephemeral = true
	return s
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ID is the key id receipts carry.
func (s *Signer) ID() string { return s.id }

// Public is the key verifiers need.
func (s *Signer) Public() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// Sign signs a receipt's canonical bytes; the signature is unpadded
// base64url, as in JWS.
func (s *Signer) Sign(canonical []byte) string {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.priv, canonical))
}

// ErrBadSignature is a receipt whose bytes are not what its key signed.
var ErrBadSignature = errors.New("receipts: signature does not match")

// Verify checks a signature made by Sign; it is all a third party needs,
// with the public key from /.well-known/civicpay-receipt-keys.json.
func Verify(pub ed25519.PublicKey, canonical []byte, signature string) error {
	sig, err := base64.RawURLEncoding.DecodeString(signature)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, canonical, sig) {
		return ErrBadSignature
	}
	return nil
}

// GenerateKeyFile writes a new PKCS #8 PEM Ed25519 key (the format of
// `openssl genpkey -algorithm ed25519`) readable only by its owner. It
// refuses to overwrite a key: receipts signed with it would lose their
// signer.
func GenerateKeyFile(path string) (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("receipt key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("receipt key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("receipt key: %w", err)
	}
	return NewSigner(priv), nil
}

// LoadKeyFile reads a key written by GenerateKeyFile or openssl.
func LoadKeyFile(path string) (*Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("receipt key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("receipt key %s: want a PEM PRIVATE KEY block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("receipt key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("receipt key %s: want an Ed25519 key, got %T", path, key)
	}
	return NewSigner(priv), nil
}
