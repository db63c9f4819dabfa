package breaker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxResponse bounds what we read from a provider; real answers are a few
// hundred bytes, and a broken or hostile endpoint must not fill memory.
const MaxResponse = 1 << 20

// StatusError is a non-2xx answer. Its text carries only the status code,
// never the body, which may echo our signed request.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "HTTP " + strconv.Itoa(e.Code) }

// Post sends body to endpoint and returns the answer's body. Transport errors,
// 5xx and 429 are failures (counted by the breaker, retried when the call
// is repeatable). Any other non-2xx status is the provider refusing the
// request: it returns the body too, wrapped in ErrRejected, since some
// providers explain the refusal in a JSON body.
func Post(ctx context.Context, client *http.Client, endpoint, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, MaxResponse))
	if err != nil {
		return nil, transportError(err)
	}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return raw, nil
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return nil, &StatusError{res.StatusCode}
	}
	return raw, Rejected(&StatusError{res.StatusCode})
}

// transportError drops the URL from *url.Error: it is ours and harmless,
// but keeping error texts short keeps payment_attempts.error readable.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("transport: %w", ue.Err)
	}
	return fmt.Errorf("transport: %w", err)
}

// NewClient is an HTTP client for one provider. Each provider gets its own
// transport, so a hanging provider's connections never queue another
// provider's requests. Deadlines come from Do's per-try context; the
// client timeout is only a backstop.
func NewClient(s Settings) *http.Client {
	s = s.withDefaults()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxConnsPerHost = s.MaxConcurrent
	t.MaxIdleConnsPerHost = s.MaxConcurrent
	t.ResponseHeaderTimeout = s.Timeout
	return &http.Client{Transport: t, Timeout: s.Timeout + time.Second}
}
