package breaker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PerProvider is a setting with a default and per-provider overrides, as
// configured by "5" or "5,momo=3,zalopay=10": operators tune one provider
// without repeating the rest.
type PerProvider[T any] struct {
	Default T
	By      map[string]T
}

// For returns the value for provider name.
func (p PerProvider[T]) For(name string) T {
	if v, ok := p.By[name]; ok {
		return v
	}
	return p.Default
}

// ParsePerProvider reads "default[,name=value]..." (the default may be
// omitted, leaving T's zero value, which Settings replace with Defaults).
func ParsePerProvider[T any](s string, parse func(string) (T, error)) (PerProvider[T], error) {
	var p PerProvider[T]
	seenDefault := false
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, named := strings.Cut(item, "=")
		if !named {
			name, value = "", item
		}
		if err := p.set(strings.TrimSpace(name), strings.TrimSpace(value), &seenDefault, parse); err != nil {
			return PerProvider[T]{}, err
		}
	}
	return p, nil
}

func (p *PerProvider[T]) set(name, value string, seenDefault *bool, parse func(string) (T, error)) error {
	v, err := parse(value)
	if err != nil {
		return fmt.Errorf("%q: %w", value, err)
	}
	if name == "" {
		if *seenDefault {
			return errors.New("two default values")
		}
		*seenDefault, p.Default = true, v
		return nil
	}
	if !validName(name) {
		return fmt.Errorf("%q is not a provider name (a-z, 0-9)", name)
	}
	if _, dup := p.By[name]; dup {
		return fmt.Errorf("%s given twice", name)
	}
	if p.By == nil {
		p.By = map[string]T{}
	}
	p.By[name] = v
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// PositiveInt parses a whole number from 1 to 10,000.
func PositiveInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 10_000 {
		return 0, errors.New("want a whole number from 1 to 10000")
	}
	return n, nil
}

// PositiveDuration parses a duration from 1ms to 1h.
func PositiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Millisecond || d > time.Hour {
		return 0, errors.New("want a duration from 1ms to 1h, such as 30s")
	}
	return d, nil
}
