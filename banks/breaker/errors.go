package breaker

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. ErrBusy is also ErrOpen: a provider with every
// slot taken is, to the router, as unavailable as one with an open breaker.
var (
	ErrOpen     = errors.New("provider circuit breaker is open")
	ErrBusy     = fmt.Errorf("%w: too many calls in flight", ErrOpen)
	ErrTimeout  = errors.New("provider call timed out")
	ErrRejected = errors.New("provider refused the request")
	ErrCanceled = errors.New("caller gave up on the provider call")
)

// CallError names the provider and call that failed. Its text is safe to
// store and log: adapters never put secrets or bodies in errors.
type CallError struct {
	Provider, Op string
	Err          error
}

func (e *CallError) Error() string { return e.Provider + " " + e.Op + ": " + e.Err.Error() }

func (e *CallError) Unwrap() error { return e.Err }

// Rejected marks an answer in which the provider refused our request
// (a business error code, a 4xx): the provider is up, so the breaker counts
// a success, and sending the same request again would get the same answer,
// so it is not retried.
func Rejected(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrRejected, err)
}

// permanent stops the retry loop without changing what the error means.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }

func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error the retry loop must not retry.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p) || errors.Is(err, ErrRejected)
}
