package reconcile

import (
	"strconv"
	"testing"
)

// The filter must never miss a repeat, and must flag few first sightings,
// or every report would pay for the database's repeat check.
func TestBloomFlagsRepeatsAndFewOthers(t *testing.T) {
	t.Parallel()
	const n = 1_000_000
	b := newBloom()
	var flagged int
	for i := range n {
		if b.add("momo", strconv.Itoa(9_000_000_000+i)) {
			flagged++
		}
	}
	if rate := float64(flagged) / n; rate > 0.001 {
		t.Errorf("%d of %d new keys flagged as repeats (%.3f %%), want under 0.1 %%", flagged, n, 100*rate)
	}
	for i := 0; i < n; i += 997 {
		if !b.add("momo", strconv.Itoa(9_000_000_000+i)) {
			t.Fatalf("key %d added twice was not flagged", i)
		}
	}
	if b.add("zalopay", "9000000000") && b.add("zalopay", "9000000001") && b.add("zalopay", "9000000002") {
		t.Error("the provider is not part of the key")
	}
}
