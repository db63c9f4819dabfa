package bankfeed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// VerifySePay checks an "Authorization: Apikey <KEY>" header. Both keys
// are hashed before the constant-time comparison so that not even the
// key's length leaks through timing.
func VerifySePay(apiKey, authorizationHeader string) error {
	if apiKey == "" {
		return fmt.Errorf("bankfeed: empty SePay API key: %w", ErrUnauthorized)
	}
	scheme, key, _ := strings.Cut(strings.TrimSpace(authorizationHeader), " ")
	if !strings.EqualFold(scheme, "Apikey") {
		return ErrUnauthorized
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(key)))
	want := sha256.Sum256([]byte(apiKey))
	if !hmac.Equal(got[:], want[:]) {
		return ErrUnauthorized
	}
	return nil
}

type sepayBody struct {
	ID              json.Number `json:"id"`
	TransactionDate string      `json:"transactionDate"`
	AccountNumber   string      `json:"accountNumber"`
	SubAccount      *string     `json:"subAccount"`
	Code            *string     `json:"code"`
	Content         string      `json:"content"`
	Description     string      `json:"description"`
	TransferType    string      `json:"transferType"`
	TransferAmount  json.Number `json:"transferAmount"`
	ReferenceCode   string      `json:"referenceCode"`
}

// ParseSePay decodes a SePay webhook. Only transferType "in" is a credit;
// "out" yields ErrNotCredit. The payment code is looked for in content,
// then description, then SePay's own recognised code, always through
// paycode.Find so its check character applies.
func ParseSePay(body []byte) (Transfer, error) {
	var b sepayBody
	if err := decodeStrict(body, &b); err != nil {
		return Transfer{}, err
	}
	switch b.TransferType {
	case "in":
	case "out":
		return Transfer{}, ErrNotCredit
	default:
		return Transfer{}, fmt.Errorf("%w: transferType %q", ErrMalformed, b.TransferType)
	}
	return b.transfer()
}

func (b sepayBody) transfer() (Transfer, error) {
	id, err := plainID(b.ID)
	if err != nil {
		return Transfer{}, err
	}
	amount, err := credit(b.TransferAmount.String())
	if err != nil {
		return Transfer{}, err
	}
	at, err := time.ParseInLocation(localTime, b.TransactionDate, ICT)
	if err != nil {
		return Transfer{}, fmt.Errorf("%w: transactionDate %q", ErrMalformed, b.TransactionDate)
	}
	if b.AccountNumber == "" {
		return Transfer{}, fmt.Errorf("%w: accountNumber missing", ErrMalformed)
	}
	return Transfer{
		Source: SourceSePay, ID: id, Account: b.AccountNumber, VirtualAccount: deref(b.SubAccount),
		Amount: amount, Content: b.Content, Code: findCode(b.Content, b.Description, deref(b.Code)),
		BankRef: b.ReferenceCode, At: at,
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
