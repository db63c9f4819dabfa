package main

import "strconv"

// formatVND formats a whole-đồng amount given as a digit string the
// Vietnamese way: dots group thousands and the đồng sign follows after a
// space, so "1250000" becomes "1.250.000 ₫". A leading minus sign is kept.
// Anything that is not a plain integer is returned unchanged, so a
// malformed amount is shown as the gateway sent it rather than guessed at.
func formatVND(amount string) string {
	digits := amount
	neg := false
	if len(digits) > 1 && digits[0] == '-' {
		neg = true
		digits = digits[1:]
	}
	if !allDigits(digits) {
		return amount
	}
	// Drop leading zeros but keep a single zero.
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	b := make([]byte, 0, len(digits)+len(digits)/3+6)
	if neg {
		b = append(b, '-')
	}
	for i := 0; i < len(digits); i++ {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, '.')
		}
		b = append(b, digits[i])
	}
	return string(b) + " ₫"
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// twoDigits writes n (0..99) with a leading zero.
func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// clockText formats a remaining duration in whole seconds as "m:ss" or,
// from one hour on, "h:mm:ss". Negative values are shown as "0:00".
func clockText(secs int64) string {
	if secs < 0 {
		secs = 0
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + twoDigits(m) + ":" + twoDigits(s)
	}
	return strconv.FormatInt(m, 10) + ":" + twoDigits(s)
}

// remainingSeconds returns the whole seconds left until expiresMs, rounding
// up, so the countdown shows 0:00 only once the deadline has passed.
func remainingSeconds(nowMs, expiresMs float64) int64 {
	d := expiresMs - nowMs
	if d <= 0 {
		return 0
	}
	return int64((d + 999) / 1000)
}

// spokenDuration is the time left in words for screen readers: whole
// minutes (rounded up) from one minute on, else seconds. It is announced
// only at the moments countdownAnnounce picks, never every second.
func spokenDuration(l *lang, secs int64) string {
	n, one, many := secs, l.second, l.seconds
	if secs >= 60 {
		n, one, many = (secs+59)/60, l.minute, l.minutes
	}
	if n < 0 {
		n = 0
	}
	return strconv.FormatInt(n, 10) + " " + unit(n, one, many)
}

// countdownAnnounce says whether the countdown should be announced to
// assistive technology at secs remaining: on whole minutes, then at 30 and
// 10 seconds. Announcing every second would drown the user.
func countdownAnnounce(secs int64) bool {
	if secs <= 0 {
		return false
	}
	if secs <= 60 {
		return secs == 60 || secs == 30 || secs == 10
	}
	return secs%60 == 0 && secs <= 5*60
}
