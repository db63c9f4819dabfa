// Package paycode makes the short codes payers put in a bank transfer's
// content, and finds them again after banking apps have mangled that
// content.
//
// A code is Prefix followed by Length characters from Alphabet; the last is
// a check character. The alphabet has no 0/O, 1/I/L, so a code read aloud
// or copied by hand has nothing to confuse, and has 31 symbols, a prime,
// so the weighted mod-31 check catches every single-character substitution
// and every transposition of two characters. Without it, "CP" followed by
// any eight letters in free text ("cp van chuyen ...") would look like a
// code.
package paycode

import (
	"crypto/rand"
	"io"
	"strings"
)

const (
	// Prefix starts every code; it anchors the search in transfer content.
	Prefix = "CP"
	// Alphabet is the 31 code characters.
	Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	// Length counts the characters after Prefix, check character included.
	Length = 8
)

// Generate returns a new code drawn from r, or crypto/rand.Reader when r is
// nil. Seven random characters give 31^7 ≈ 2.7e10 codes: ample for codes
// that live as long as one unpaid order. Like crypto/rand, it panics if r
// fails, since there is no safe fallback for randomness.
func Generate(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var digits [Length]int
	for i := 0; i < Length-1; {
		var buf [16]byte
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			panic("paycode: reading randomness: " + err.Error())
		}
		for _, b := range buf {
			// 248 = 8×31: rejecting the top of the byte range keeps
			// every character equally likely.
			if b < 248 && i < Length-1 {
				digits[i] = int(b) % 31
				i++
			}
		}
	}
	digits[Length-1] = checkDigit(digits[:Length-1])
	return encode(digits)
}

// checkDigit picks c so that Σ (i+1)·dᵢ ≡ 0 (mod 31) over all Length
// characters. Weights 1..8 are distinct and non-zero mod 31, which is what
// makes substitutions and transpositions detectable.
func checkDigit(data []int) int {
	sum := 0
	for i, d := range data {
		sum += (i + 1) * d
	}
	// c·Length ≡ -sum; 4 is the inverse of 8 mod 31.
	return (31 - sum%31) * 4 % 31
}

func valid(digits [Length]int) bool {
	sum := 0
	for i, d := range digits {
		sum += (i + 1) * d
	}
	return sum%31 == 0
}

func encode(digits [Length]int) string {
	b := []byte(Prefix)
	for _, d := range digits {
		b = append(b, Alphabet[d])
	}
	return string(b)
}

// Valid reports whether code is a well-formed code in canonical form
// (upper case, no separators), as Generate and Find return it.
func Valid(code string) bool {
	if len(code) != len(Prefix)+Length || !strings.HasPrefix(code, Prefix) {
		return false
	}
	var digits [Length]int
	for i := range digits {
		d := strings.IndexByte(Alphabet, code[len(Prefix)+i])
		if d < 0 {
			return false
		}
		digits[i] = d
	}
	return valid(digits)
}
