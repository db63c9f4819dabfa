package banks

import (
	"strconv"
	"time"
)

// PlainInt reads a plain non-negative decimal integer, the way providers
// write ids, result codes and timestamps. "1e3", "-0", "+1", "01" and spaces
// are refused: a number spelled another way is not the message we expect.
func PlainInt(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || strconv.FormatInt(v, 10) != s {
		return 0, false
	}
	return v, true
}

// Clock is an adapter's time source; tests set it, nil is the wall clock.
type Clock func() time.Time

// Time is now, by the clock.
func (c Clock) Time() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}
