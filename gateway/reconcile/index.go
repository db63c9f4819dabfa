package reconcile

import (
	"hash/maphash"
)

// index holds one entry per (provider, transaction id) met so far: the
// gateway's callbacks of the window, and the report's lines that matched
// none of them. It is an open-addressing table over a slice of fixed-size
// entries and one byte arena for the ids, about 60 bytes a callback in all, where
// a Go map of strings took 145 bytes and a second and a half to fill.
type index struct {
	seed      maphash.Seed
	chunks    [][]entry // chunkLen entries each: growing never copies them
	n         int       // entries in all
	slots     []uint32  // entry number + 1; 0 is empty. A power of two long.
	arena     [][]byte  // the transaction ids, back to back, in arenaLen pieces
	providers []string  // interned names; entry.provider is the position
}

const (
	chunkBits = 16
	chunkLen  = 1 << chunkBits
	arenaBits = 20
	arenaLen  = 1 << arenaBits // an id (at most maxTxn bytes) never straddles two
)

// at is entry n; the pointer stays good as the index grows.
func (x *index) at(n int) *entry { return &x.chunks[n>>chunkBits][n&(chunkLen-1)] }

// txnOf is the entry's transaction id, without copying it.
func (x *index) txnOf(e *entry) []byte {
	a := x.arena[e.txn>>arenaBits]
	off := e.txn & (arenaLen - 1)
	return a[off : off+uint32(e.txnLen)]
}

// entry is one key. Gateway fields are set when the gateway recorded a
// callback for the key (gateway), report fields when a line named it.
type entry struct {
	hash     uint64
	amount   int64  // the callback's, whole đồng
	received int64  // the callback's time, Unix microseconds
	txn      uint32 // where the id is in arena: piece << arenaBits | offset
	txnLen   uint16
	provider uint8
	flags    flags
}

type flags uint8

const (
	fromGateway flags = 1 << iota // a callback is recorded for the key
	hasAmount                     // …and it carries an amount
	paid                          // …and it reported money collected
	settled                       // …and its outcome is settled
	exception                     // …or held for review
	seen                          // a report line named the key
	collected                     // …and reported it as money collected
)

func newIndex() *index {
	return &index{seed: maphash.MakeSeed(), slots: make([]uint32, 1<<16)}
}

// provider interns a provider's name; a report names only a handful.
func (x *index) provider(name string) (uint8, bool) {
	for i, p := range x.providers {
		if p == name {
			return uint8(i), true
		}
	}
	if len(x.providers) == 255 {
		return 0, false
	}
	x.providers = append(x.providers, name)
	return uint8(len(x.providers) - 1), true
}

func (x *index) hash(provider uint8, txn string) uint64 {
	var h maphash.Hash
	h.SetSeed(x.seed)
	h.WriteByte(provider)
	h.WriteString(txn)
	return h.Sum64()
}

// find returns the key's entry and its slot, or nil and the empty slot it
// would take.
func (x *index) find(provider uint8, txn string, h uint64) (*entry, int) {
	mask := len(x.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return nil, i
		}
		e := x.at(int(s - 1))
		if e.hash == h && e.provider == provider && string(x.txnOf(e)) == txn {
			return e, i
		}
	}
}

// get returns the number of the key's entry, adding an empty one when it
// has none. txn is at most maxTxn bytes.
func (x *index) get(provider uint8, txn string) int {
	h := x.hash(provider, txn)
	e, slot := x.find(provider, txn, h)
	if e != nil {
		return int(x.slots[slot] - 1)
	}
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
		_, slot = x.find(provider, txn, h)
	}
	if x.n&(chunkLen-1) == 0 {
		x.chunks = append(x.chunks, make([]entry, chunkLen))
	}
	n := x.n
	x.n++
	*x.at(n) = entry{hash: h, txn: x.store(txn), txnLen: uint16(len(txn)), provider: provider}
	x.slots[slot] = uint32(n + 1)
	return n
}

// store copies txn into the arena and returns where it is.
func (x *index) store(txn string) uint32 {
	last := len(x.arena) - 1
	if last < 0 || len(x.arena[last])+len(txn) >= arenaLen { // an offset is always < arenaLen, even for ""
		x.arena = append(x.arena, make([]byte, 0, arenaLen))
		last++
	}
	off := len(x.arena[last])
	x.arena[last] = append(x.arena[last], txn...)
	return uint32(last)<<arenaBits | uint32(off)
}

// grow doubles the slots, keeping the table at most half full so probes
// stay short.
func (x *index) grow() {
	x.slots = make([]uint32, 2*len(x.slots))
	mask := len(x.slots) - 1
	for n := range x.n {
		i := int(x.at(n).hash) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = uint32(n + 1)
	}
}
