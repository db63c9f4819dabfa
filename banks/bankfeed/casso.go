package bankfeed

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// SignCasso produces an X-Casso-Signature header for body at t, the way
// Casso does. The sandbox simulator uses it to post believable webhooks.
func SignCasso(key string, body []byte, t time.Time) (string, error) {
	if key == "" {
		return "", fmt.Errorf("bankfeed: empty Casso checksum key: %w", ErrSignature)
	}
	msg, err := cassoMessage(strconv.FormatInt(t.UnixMilli(), 10), body)
	if err != nil {
		return "", err
	}
	return "t=" + strconv.FormatInt(t.UnixMilli(), 10) + ",v1=" + hex.EncodeToString(cassoMAC(key, msg)), nil
}

// VerifyCasso checks an X-Casso-Signature header ("t=<unix ms>,v1=<hex>")
// against body: v1 = HMAC-SHA512(key, t + "." + body re-encoded with every
// object's keys sorted, compact). t must be within tolerance of now
// (DefaultTolerance if tolerance <= 0) so a captured webhook cannot be
// replayed later. Any of several v1 values may match, to survive key
// rotation.
func VerifyCasso(checksumKey, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if checksumKey == "" {
		return fmt.Errorf("bankfeed: empty Casso checksum key: %w", ErrSignature)
	}
	ts, sigs, err := parseCassoHeader(header)
	if err != nil {
		return err
	}
	if err := checkFresh(ts, now, tolerance); err != nil {
		return err
	}
	msg, err := cassoMessage(ts, body)
	if err != nil {
		return err
	}
	want := cassoMAC(checksumKey, msg)
	ok := false
	for _, sig := range sigs {
		got, err := hex.DecodeString(sig)
		ok = err == nil && hmac.Equal(got, want) || ok
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

func parseCassoHeader(h string) (ts string, sigs []string, err error) {
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil || len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: header must be t=<unix ms>,v1=<hex>", ErrSignature)
	}
	return ts, sigs, nil
}

func checkFresh(ts string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ms, _ := strconv.ParseInt(ts, 10, 64)
	skew := now.Sub(time.UnixMilli(ms))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: t is %s from now", ErrStale, skew.Round(time.Second))
	}
	return nil
}

func cassoMessage(ts string, body []byte) ([]byte, error) {
	canon, err := canonicalJSON(body)
	if err != nil {
		return nil, err
	}
	return append([]byte(ts+"."), canon...), nil
}

func cassoMAC(key string, msg []byte) []byte {
	m := hmac.New(sha512.New, []byte(key))
	m.Write(msg)
	return m.Sum(nil)
}

// canonicalJSON re-encodes a JSON object the way Casso's reference code
// does before signing: keys sorted at every level (Go sorts map keys),
// compact, numbers exactly as received (UseNumber), and '/', '<', '>',
// '&' and non-ASCII left unescaped as JavaScript's JSON.stringify leaves
// them. Known divergences from JSON.stringify: Go escapes U+2028/U+2029
// and replaces invalid UTF-8; neither occurs in bank text in practice.
func canonicalJSON(body []byte) ([]byte, error) {
	var v map[string]any
	if err := strictjson.Decode(body, &v, strictjson.Options{UseNumber: true}); err != nil || v == nil {
		return nil, fmt.Errorf("%w: body is not one JSON object with unique keys: %v", ErrMalformed, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

type cassoEnvelope struct {
	Error json.Number     `json:"error"`
	Data  json.RawMessage `json:"data"`
}

type cassoData struct {
	ID                   json.Number `json:"id"`
	Reference            string      `json:"reference"`
	Description          string      `json:"description"`
	Amount               json.Number `json:"amount"`
	TransactionDateTime  string      `json:"transactionDateTime"`
	AccountNumber        string      `json:"accountNumber"`
	VirtualAccountNumber string      `json:"virtualAccountNumber"`
}

// ParseCasso decodes a Casso v2 webhook ({"error":0,"data":{...}}). Call
// VerifyCasso first. A negative amount is an outgoing transfer and yields
// ErrNotCredit.
func ParseCasso(body []byte) (Transfer, error) {
	var env cassoEnvelope
	if err := decodeStrict(body, &env); err != nil {
		return Transfer{}, err
	}
	if env.Error != "0" {
		return Transfer{}, fmt.Errorf("%w: error is %q, not 0", ErrMalformed, env.Error)
	}
	var d cassoData
	if err := decodeStrict(env.Data, &d); err != nil {
		return Transfer{}, err
	}
	return d.transfer()
}

func (d cassoData) transfer() (Transfer, error) {
	id, err := plainID(d.ID)
	if err != nil {
		return Transfer{}, err
	}
	amount, err := credit(d.Amount.String())
	if err != nil {
		return Transfer{}, err
	}
	at, err := time.ParseInLocation(localTime, d.TransactionDateTime, ICT)
	if err != nil {
		return Transfer{}, fmt.Errorf("%w: transactionDateTime %q", ErrMalformed, d.TransactionDateTime)
	}
	if d.AccountNumber == "" {
		return Transfer{}, fmt.Errorf("%w: accountNumber missing", ErrMalformed)
	}
	return Transfer{
		Source: SourceCasso, ID: id, Account: d.AccountNumber, VirtualAccount: d.VirtualAccountNumber,
		Amount: amount, Content: d.Description, Code: findCode(d.Description),
		BankRef: d.Reference, At: at,
	}, nil
}
