package bankfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A feed's webhook is delivered a bounded number of times; its transaction
// list is not. When every delivery failed (the gateway was down, or died
// before committing), asking the list is the only way left to learn that a
// transfer arrived. Both services document one: Casso's GET /v2/transactions
// and SePay's GET /userapi/transactions/list (docs/PROVIDERS.md).

// Query is what the gateway wants listed.
type Query struct {
	Account string    // receiving account number
	Since   time.Time // earliest booking time of interest (date granularity at the feed)
}

// Listed is one credit from a transaction list and the record as the feed
// wrote it (kept as the callback's raw body).
type Listed struct {
	Transfer
	Raw json.RawMessage
}

// Lister is a feed's transaction-list API.
type Lister interface {
	Source() string
	Credits(ctx context.Context, q Query) ([]Listed, error)
}

// ErrAPI is a transaction-list call that failed or answered an error.
var ErrAPI = errors.New("bankfeed: transaction list failed")

// Paths of the transaction-list APIs under their base URLs.
const (
	CassoListPath = "/v2/transactions"
	SePayListPath = "/userapi/transactions/list"
)

// CassoAPI lists transactions with Casso's API v2 (Authorization: Apikey).
type CassoAPI struct {
	BaseURL  string // https://oauth.casso.vn
	APIKey   string
	Client   *http.Client
	PageSize int // default 100
	MaxPages int // default 20: a day of a busy account, not the account's history
}

func (c *CassoAPI) Source() string { return SourceCasso }

type cassoPage struct {
	Error   int    `json:"error"`
	Message string `json:"message"`
	Data    struct {
		Page       int               `json:"page"`
		TotalPages int               `json:"totalPages"`
		Records    []json.RawMessage `json:"records"`
	} `json:"data"`
}

type cassoRecord struct {
	ID           json.Number `json:"id"`
	TID          string      `json:"tid"`
	Description  string      `json:"description"`
	Amount       json.Number `json:"amount"`
	When         string      `json:"when"`
	BankSubAccID string      `json:"bankSubAccId"`
	Virtual      string      `json:"virtualAccount"`
}

// Credits pages through the transactions booked since q.Since (newest
// first) and returns the credits to q.Account.
func (c *CassoAPI) Credits(ctx context.Context, q Query) ([]Listed, error) {
	size, pages := cmpOr(c.PageSize, 100), cmpOr(c.MaxPages, 20)
	var out []Listed
	for page := 1; page <= pages; page++ {
		v := url.Values{"fromDate": {q.Since.In(ICT).Format(time.DateOnly)}, "page": {strconv.Itoa(page)},
			"pageSize": {strconv.Itoa(size)}, "sort": {"DESC"}}
		var p cassoPage
		if err := getJSON(ctx, c.Client, c.BaseURL+CassoListPath+"?"+v.Encode(), "Apikey "+c.APIKey, &p); err != nil {
			return nil, fmt.Errorf("casso: %w", err)
		}
		if p.Error != 0 {
			return nil, fmt.Errorf("%w: casso error %d: %s", ErrAPI, p.Error, p.Message)
		}
		for _, raw := range p.Data.Records {
			var r cassoRecord
			if err := decodeStrict(raw, &r); err != nil {
				return nil, fmt.Errorf("casso record: %w", err)
			}
			t, err := r.transfer()
			if errors.Is(err, ErrNotCredit) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("casso record: %w", err)
			}
			if t.Account == q.Account || t.VirtualAccount == q.Account {
				out = append(out, Listed{Transfer: t, Raw: raw})
			}
		}
		if page >= p.Data.TotalPages {
			break
		}
	}
	return out, nil
}

func (r cassoRecord) transfer() (Transfer, error) {
	id, err := plainID(r.ID)
	if err != nil {
		return Transfer{}, err
	}
	amount, err := credit(r.Amount.String())
	if err != nil {
		return Transfer{}, err
	}
	at, err := listTime(r.When)
	if err != nil {
		return Transfer{}, err
	}
	return Transfer{Source: SourceCasso, ID: id, Account: r.BankSubAccID, VirtualAccount: r.Virtual, Amount: amount,
		Content: r.Description, Code: findCode(r.Description), BankRef: r.TID, At: at}, nil
}

// SePayAPI lists transactions with SePay's user API (Authorization: Bearer).
type SePayAPI struct {
	BaseURL string // https://my.sepay.vn
	Token   string
	Client  *http.Client
}

func (s *SePayAPI) Source() string { return SourceSePay }

type sepayList struct {
	Status       int               `json:"status"`
	Error        any               `json:"error"`
	Transactions []json.RawMessage `json:"transactions"`
}

type sepayRecord struct {
	ID              json.Number `json:"id"`
	AccountNumber   string      `json:"account_number"`
	SubAccount      *string     `json:"sub_account"`
	TransactionDate string      `json:"transaction_date"`
	AmountIn        json.Number `json:"amount_in"`
	Content         string      `json:"transaction_content"`
	Reference       string      `json:"reference_number"`
	Code            *string     `json:"code"`
}

// Credits lists the account's transactions from q.Since's date (at most
// 5,000, the API's limit) and returns the credits.
func (s *SePayAPI) Credits(ctx context.Context, q Query) ([]Listed, error) {
	v := url.Values{"account_number": {q.Account}, "transaction_date_min": {q.Since.In(ICT).Format(time.DateOnly)},
		"limit": {"5000"}}
	var l sepayList
	if err := getJSON(ctx, s.Client, s.BaseURL+SePayListPath+"?"+v.Encode(), "Bearer "+s.Token, &l); err != nil {
		return nil, fmt.Errorf("sepay: %w", err)
	}
	if l.Status != http.StatusOK {
		return nil, fmt.Errorf("%w: sepay status %d: %v", ErrAPI, l.Status, l.Error)
	}
	var out []Listed
	for _, raw := range l.Transactions {
		var r sepayRecord
		if err := decodeStrict(raw, &r); err != nil {
			return nil, fmt.Errorf("sepay record: %w", err)
		}
		t, err := r.transfer()
		if errors.Is(err, ErrNotCredit) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sepay record: %w", err)
		}
		if t.Account == q.Account || t.VirtualAccount == q.Account {
			out = append(out, Listed{Transfer: t, Raw: raw})
		}
	}
	return out, nil
}

func (r sepayRecord) transfer() (Transfer, error) {
	id, err := plainID(r.ID)
	if err != nil {
		return Transfer{}, err
	}
	// amount_in is written "18067000.00"; 0 is an outgoing line.
	in, err := decimal.NewFromString(r.AmountIn.String())
	switch {
	case err != nil || in.IsNegative() || !in.IsInteger():
		return Transfer{}, fmt.Errorf("%w: amount_in %q", ErrMalformed, r.AmountIn)
	case in.IsZero():
		return Transfer{}, ErrNotCredit
	}
	at, err := listTime(r.TransactionDate)
	if err != nil {
		return Transfer{}, err
	}
	return Transfer{Source: SourceSePay, ID: id, Account: r.AccountNumber, VirtualAccount: deref(r.SubAccount),
		Amount: in.Truncate(0), Content: r.Content, Code: findCode(r.Content, deref(r.Code)), BankRef: r.Reference, At: at}, nil
}

// listTime reads the feeds' local booking times: "2006-01-02 15:04:05",
// with a T, or a date alone (Casso's older records).
func listTime(s string) (time.Time, error) {
	for _, layout := range []string{localTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, ICT); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time %q", ErrMalformed, s)
}

func getJSON(ctx context.Context, client *http.Client, u, auth string, v any) error {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL would repeat the account number
		}
		return fmt.Errorf("%w: %w", ErrAPI, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAPI, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: HTTP %d: %s", ErrAPI, res.StatusCode, strings.TrimSpace(string(body[:min(len(body), 200)])))
	}
	if err := decodeStrict(body, v); err != nil {
		return fmt.Errorf("%w: %w", ErrAPI, err)
	}
	return nil
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
