// Package ids makes the gateway's public identifiers: a type prefix and 24
// random base62 characters (~143 bits), so ids are unguessable and a
// glance tells what kind of object an id names.
package ids

import (
	"crypto/rand"
	"math/big"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New returns prefix + "_" + n random base62 characters.
func New(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+1+n)
	b = append(b, prefix...)
	b = append(b, '_')
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("ids: the system random source failed: " + err.Error())
		}
		b = append(b, alphabet[v.Int64()])
	}
	return string(b)
}

// Payment, Quote, Portal, … are the id kinds of the API.
func Payment() string { return New("pay", 24) }
func Quote() string   { return New("quo", 24) }
func Portal() string  { return New("por", 16) }
func Event() string   { return New("evt", 24) }
func Refund() string  { return New("re", 24) }
