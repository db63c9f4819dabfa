// Package ids makes the gateway's public identifiers: a type prefix and 24
// random base62 characters (~143 bits), so ids are unguessable and a
// glance tells what kind of object an id names.
package ids

import (
	"crypto/rand"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New returns prefix + "_" + n random base62 characters. Each character
// comes from one random byte below 248 (4 × 62), the others being drawn
// again, so every character is equally likely; it is a tenth of the cost
// of a big.Int draw per character, on every request's id.
func New(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+1+n)
	b = append(b, prefix...)
	b = append(b, '_')
	var buf [64]byte
	for len(b) < cap(b) {
		rand.Read(buf[:]) // never fails (crypto/rand)
		for _, r := range buf {
			if r < 248 && len(b) < cap(b) {
				b = append(b, alphabet[r%62])
			}
		}
	}
	return string(b)
}

// Payment, Quote, Portal, … are the id kinds of the API.
func Payment() string { return New("pay", 24) }
func Quote() string   { return New("quo", 24) }
func Portal() string  { return New("por", 16) }
func Event() string   { return New("evt", 24) }
func Refund() string  { return New("re", 24) }
