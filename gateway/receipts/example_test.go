package receipts_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/civicpay/civicpay/gateway/receipts"
)

// A third party verifies a receipt with nothing but the JSON answer of
// GET /v1/payments/{id}/receipt and the key set published at
// /.well-known/civicpay-receipt-keys.json.
func ExampleVerify() {
	// What the gateway answered and published (made here with a fixed key).
	signer := receipts.NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	canonical, _ := receipts.Canonical(receipts.Fields{V: receipts.Version, Series: "CP-26E", Number: "0000001",
		Amount: "135000", AmountWords: "Một trăm ba mươi lăm nghìn đồng", KeyID: signer.ID()})
	answer, _ := json.Marshal(map[string]string{"canonical": string(canonical), "signature": signer.Sign(canonical), "key_id": signer.ID()})
	keySet, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kid": signer.ID(), "kty": "OKP", "crv": "Ed25519",
		"x": base64.RawURLEncoding.EncodeToString(signer.Public())}}})

	// The verifier's side.
	var receipt struct {
		Canonical string `json:"canonical"`
		Signature string `json:"signature"`
		KeyID     string `json:"key_id"`
	}
	var set struct {
		Keys []receipts.PublicKey `json:"keys"`
	}
	if json.Unmarshal(answer, &receipt) != nil || json.Unmarshal(keySet, &set) != nil {
		return
	}
	for _, k := range set.Keys {
		if k.KeyID != receipt.KeyID {
			continue
		}
		pub, err := k.Key()
		if err != nil {
			return
		}
		fmt.Println("genuine:", receipts.Verify(pub, []byte(receipt.Canonical), receipt.Signature) == nil)
		altered := []byte(receipt.Canonical)
		altered[len(altered)-3] ^= 1
		fmt.Println("one byte changed:", receipts.Verify(pub, altered, receipt.Signature) == nil)
	}
	// Output:
	// genuine: true
	// one byte changed: false
}
