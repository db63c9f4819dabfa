package vnpay

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

const (
	paramHash     = "vnp_SecureHash"
	paramHashType = "vnp_SecureHashType"
)

// SignParams computes vnp_SecureHash: HMAC-SHA512 over the vnp_* parameters
// other than the hash itself, empty values dropped, sorted by key and
// form-encoded exactly as url.QueryEscape does, joined with '&'. The
// encoding step is part of the signed message, not transport: hashing the
// raw values gives a different, rejected hash.
func SignParams(secret string, v url.Values) string {
	return sign(secret, canonical(v, url.QueryEscape))
}

func sign(secret, msg string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// canonical is the string VNPAY signs. Non-vnp_ keys are ignored as VNPAY's
// own demo code does, so a merchant's extra query parameters on the return
// URL do not break verification.
func canonical(v url.Values, escape func(string) string) string {
	keys := make([]string, 0, len(v))
	for k, vs := range v {
		if strings.HasPrefix(k, "vnp_") && k != paramHash && k != paramHashType && len(vs) > 0 && vs[0] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(k))
		b.WriteByte('=')
		b.WriteString(escape(v[k][0]))
	}
	return b.String()
}

// escapers are the form encoders VNPAY's own SDKs use. They agree except on
// '~' (PHP urlencode and Java URLEncoder write %7E, Go leaves it) and '*'
// (Java leaves it, PHP and Go write %2A). We sign with Go's; verification
// also accepts the other two so a '~' or '*' in text VNPAY echoes back
// cannot fail an otherwise genuine notification.
var escapers = []func(string) string{
	url.QueryEscape,
	phpEscape,
	javaEscape,
}

func phpEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "~", "%7E") }

func javaEscape(s string) string { return strings.ReplaceAll(phpEscape(s), "%2A", "*") }

// verify checks a received hash in constant time, accepting either hex case.
func verify(secret string, v url.Values, got string) bool {
	mac, err := hex.DecodeString(got)
	if err != nil || len(mac) != sha512.Size {
		return false
	}
	msgs := make(map[string]bool, len(escapers))
	ok := false
	for _, esc := range escapers {
		msg := canonical(v, esc)
		if msgs[msg] {
			continue
		}
		msgs[msg] = true
		want, _ := hex.DecodeString(sign(secret, msg))
		ok = hmac.Equal(mac, want) || ok
	}
	return ok
}

// verifyPipe is the querydr/refund flavour: fields joined by '|', no
// encoding.
func verifyPipe(secret, got string, fields ...string) bool {
	mac, err := hex.DecodeString(got)
	if err != nil || len(mac) != sha512.Size {
		return false
	}
	want, _ := hex.DecodeString(sign(secret, strings.Join(fields, "|")))
	return hmac.Equal(mac, want)
}
