// Package bankfeed verifies and decodes the notifications bank-feed
// services (Casso, SePay) send when money lands in a receiving account,
// which is how VietQR transfers are detected. Each credit becomes a
// Transfer carrying the payment code found in its content.
package bankfeed

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vietqr/paycode"
	"github.com/civicpay/civicpay/banks/vnd"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// Transfer sources.
const (
	SourceCasso = "casso"
	SourceSePay = "sepay"
)

// Reply is the success body both services expect with HTTP 200; anything
// else makes them retry.
const Reply = `{"success":true}`

// DefaultTolerance is the clock skew VerifyCasso allows when given none;
// it matches the 5 minutes SePay documents for its own timestamps.
const DefaultTolerance = 5 * time.Minute

// ICT is Vietnam time; both services write local timestamps without zone.
var ICT = time.FixedZone("ICT", 7*3600)

const localTime = "2006-01-02 15:04:05"

// Sentinels for errors.Is. ErrNotCredit is not a fault: the handler should
// acknowledge the notification and ignore it.
var (
	ErrSignature    = errors.New("bankfeed: invalid signature")
	ErrStale        = errors.New("bankfeed: signature timestamp outside tolerance")
	ErrUnauthorized = errors.New("bankfeed: invalid API key")
	ErrMalformed    = errors.New("bankfeed: malformed notification")
	ErrNotCredit    = errors.New("bankfeed: not an incoming transfer")
)

// Transfer is one incoming bank transfer.
type Transfer struct {
	Source         string          // SourceCasso or SourceSePay
	ID             string          // provider transaction id; dedupe on (Source, ID)
	Account        string          // receiving account number
	VirtualAccount string          // receiving virtual/sub-account, if any
	Amount         decimal.Decimal // positive whole đồng
	Content        string          // transfer content as the bank reported it
	Code           string          // paycode.Find over the content; "" if none
	BankRef        string          // the bank's own reference
	At             time.Time
}

// findCode tries each text in turn: content first, then whatever else the
// provider offers.
func findCode(texts ...string) string {
	for _, s := range texts {
		if code, ok := paycode.Find(s); ok {
			return code
		}
	}
	return ""
}

// decodeStrict wants exactly one JSON value of the right shape, with no
// repeated key (the signed text and the decoded value could disagree on
// which one counts). Unknown fields are allowed: both services add fields
// over time.
func decodeStrict(body []byte, v any) error {
	if err := strictjson.Decode(body, v, strictjson.Options{UseNumber: true}); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// plainID accepts ids written as plain non-negative integers (numbers or
// numeric strings); a float or exponent form would not dedupe reliably.
func plainID(n json.Number) (string, error) {
	s := n.String()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != s {
		return "", fmt.Errorf("%w: id %q is not a plain integer", ErrMalformed, s)
	}
	return s, nil
}

// credit reads an incoming amount; a minus sign means money went out.
func credit(s string) (decimal.Decimal, error) {
	if strings.HasPrefix(s, "-") {
		return decimal.Decimal{}, ErrNotCredit
	}
	d, err := vnd.Parse(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: amount: %w", ErrMalformed, err)
	}
	return d, nil
}
