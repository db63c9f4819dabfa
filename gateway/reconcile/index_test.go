package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Every key must keep one entry of its own through the table's growth, or
// a report line would match another's callback.
func TestIndexKeepsOneEntryPerKey(t *testing.T) {
	t.Parallel()
	x := newIndex()
	momo, _ := x.provider("momo")
	zalo, _ := x.provider("zalopay")
	if again, _ := x.provider("momo"); again != momo || momo == zalo {
		t.Fatalf("providers interned as %d, %d, %d", momo, again, zalo)
	}
	const n = 300_000 // grows the slots several times
	for i := range n {
		pos := x.get(momo, strconv.Itoa(i))
		if pos != i {
			t.Fatalf("key %d got entry %d", i, pos)
		}
		x.at(pos).amount = int64(i)
	}
	for i := range n {
		pos := x.get(momo, strconv.Itoa(i))
		if pos != i || x.at(pos).amount != int64(i) {
			t.Fatalf("key %d found at %d holding %d", i, pos, x.at(pos).amount)
		}
	}
	if pos := x.get(zalo, "7"); pos != n {
		t.Errorf("the same id from another provider took entry %d, want a new one (%d)", pos, n)
	}
	if pos := x.get(momo, "7\x00"); pos != n+1 {
		t.Errorf("an id with a trailing byte took entry %d, want a new one", pos)
	}
	if 2*x.n > len(x.slots) {
		t.Errorf("%d entries in %d slots: more than half full", x.n, len(x.slots))
	}
}

// Ids that fill an arena piece to its very end, and an empty id after
// them, must each be found again as themselves.
func TestIndexArenaPieceBoundaries(t *testing.T) {
	t.Parallel()
	x := newIndex()
	p, _ := x.provider("vnpay")
	var ids []string
	for i := range arenaLen / maxTxn { // exactly one piece's worth

		id := strings.Repeat(string(rune('a'+i%26)), maxTxn-4) + fmt.Sprintf("%04d", i)
		ids = append(ids, id)
	}
	ids = append(ids, "")
	for i, id := range ids {
		if n := x.get(p, id); n != i {
			t.Fatalf("id %d took entry %d", i, n)
		}
	}
	for i, id := range ids {
		n := x.get(p, id)
		if n != i || string(x.txnOf(x.at(n))) != id {
			t.Fatalf("id %d found at %d reading %.12q…", i, n, x.txnOf(x.at(n)))
		}
	}
}
