// Package webhook lets a portal check that a delivery really came from the
// gateway. It imports only the standard library, so a portal's service
// takes on no dependency of the gateway's by importing it.
//
// Each delivery carries Civicpay-Signature: t=<unix seconds>,v1=<hex>, where
// v1 = HMAC-SHA256(webhook secret, "<t>.<raw body>"). A portal verifies it
// on the raw bytes (never re-serialised JSON) in constant time, and rejects
// old timestamps to stop replays.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the signature header's name.
const Header = "Civicpay-Signature"

// DefaultTolerance is how old a delivery may be before Verify refuses it.
const DefaultTolerance = 5 * time.Minute

var (
	// ErrNoSignature is a missing or malformed header.
	ErrNoSignature = errors.New("webhooks: missing or malformed Civicpay-Signature header")
	// ErrBadSignature is a signature that does not match the body.
	ErrBadSignature = errors.New("webhooks: signature does not match")
	// ErrTooOld is a correctly signed delivery outside the tolerance.
	ErrTooOld = errors.New("webhooks: signature timestamp outside tolerance")
)

// Sign returns the header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

// SignAll returns the header value with one v1 per secret, so during a
// secret rotation a portal verifying with either the old or the new secret
// accepts the delivery (Verify tries every v1).
func SignAll(secrets []string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, s := range secrets {
		b.WriteString(",v1=" + mac(s, ts, body))
	}
	return b.String()
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks header against the raw body. Several v1 values (during a
// secret rotation) are accepted if any matches.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return ErrNoSignature
		case k == "t":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := []byte(mac(secret, ts, body))
	matched := false
	for _, s := range sigs {
		if hmac.Equal([]byte(strings.ToLower(s)), want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTooOld
	}
	return nil
}
