package ids

import (
	"strings"
	"testing"
)

// Ids must have the shape the API documents, and every base62 character
// must be about as likely as any other: a skew would make ids guessable.
func TestNewShapeAndSpread(t *testing.T) {
	t.Parallel()
	counts := map[rune]int{}
	const ids, n = 20000, 24
	for range ids {
		id := New("pay", n)
		rest, ok := strings.CutPrefix(id, "pay_")
		if !ok || len(rest) != n {
			t.Fatalf("id %q", id)
		}
		for _, r := range rest {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("id %q has %q", id, r)
			}
			counts[r]++
		}
	}
	want := float64(ids*n) / 62
	for _, r := range alphabet {
		if got := float64(counts[r]); got < 0.9*want || got > 1.1*want {
			t.Errorf("%q drawn %.0f times, want about %.0f", r, got, want)
		}
	}
	if New("ct", 32) == New("ct", 32) {
		t.Error("two tokens alike")
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New("pay", 24)
	}
}
