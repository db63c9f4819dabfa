package credentials_test

import (
	"bytes"
	"fmt"

	"github.com/civicpay/civicpay/gateway/credentials"
)

// A record is sealed under its own data key, which the master key wraps;
// the row's identity is bound as associated data, so the ciphertext only
// opens for that row.
func ExampleKeyring_Seal() {
	master, _ := credentials.NewKeyring(bytes.Repeat([]byte{7}, 32)) // a real key comes from CIVICPAY_MASTER_KEY_FILE
	row := []byte("KBNN-HN:live:momo")
	sealed, _ := master.Seal([]byte(`{"secret_key":"…"}`), row)
	plain, _ := master.Open(sealed, row)
	_, err := master.Open(sealed, []byte("KBNN-HCM:live:momo"))
	fmt.Println(string(plain), err)
	// Output: {"secret_key":"…"} credentials: record does not authenticate
}

// Rotating the master key re-wraps the data key only; the ciphertext stays.
func ExampleKeyring_Rewrap() {
	old, _ := credentials.NewKeyring(bytes.Repeat([]byte{1}, 32))
	next, _ := credentials.NewKeyring(bytes.Repeat([]byte{2}, 32))
	sealed, _ := old.Seal([]byte("key2=…"), []byte("row"))
	moved, _ := next.Rewrap(sealed, old, []byte("row"))
	plain, _ := next.Open(moved, []byte("row"))
	fmt.Println(string(plain), bytes.Equal(moved.Ciphertext, sealed.Ciphertext))
	// Output: key2=… true
}
