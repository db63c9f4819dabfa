package quotes

import (
	"fmt"
	"regexp"
	"time"
)

// Date is a civil (calendar) date with no time of day and no zone: due and
// payment dates are days in the Vietnamese calendar, and carrying them as
// instants would let a host's zone shift them by one day.
type Date struct {
	Y int
	M time.Month
	D int
}

var (
	dateRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	monthRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
)

// ParseDate reads strictly YYYY-MM-DD (ASCII digits, a real calendar day,
// year 0001–9999): anything looser would let two spellings name one date.
func ParseDate(s string) (Date, error) {
	if !dateRE.MatchString(s) {
		return Date{}, fmt.Errorf("quotes: date %q is not YYYY-MM-DD", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		return Date{}, fmt.Errorf("quotes: %q is not a calendar date", s)
	}
	return DateOf(t), nil
}

// ParseMonth reads strictly YYYY-MM and returns the month's first day.
func ParseMonth(s string) (Date, error) {
	if !monthRE.MatchString(s) {
		return Date{}, fmt.Errorf("quotes: month %q is not YYYY-MM", s)
	}
	return ParseDate(s + "-01")
}

// DateOf is t's calendar date in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Time is the date at midnight UTC, where every day is exactly 24 hours.
func (d Date) Time() time.Time { return time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, time.UTC) }

// Valid reports whether d names a real day in years 0001–9999 (Feb 30 does not).
func (d Date) Valid() bool {
	return d.Y >= 1 && d.Y <= 9999 && DateOf(d.Time()) == d
}

// AddDays is d moved by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// AddYears is d moved by n years (Feb 29 normalizes to Mar 1).
func (d Date) AddYears(n int) Date { return DateOf(d.Time().AddDate(n, 0, 0)) }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// DaysUntil is o − d in days; via Unix seconds, so no Duration overflow.
func (d Date) DaysUntil(o Date) int {
	return int((o.Time().Unix() - d.Time().Unix()) / 86400)
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D) }
