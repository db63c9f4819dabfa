package payments

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// AppendJSON appends v as encoding/json would marshal it, byte for byte,
// without reflection. Payment views are most of what the API writes (one
// per read, twenty per list page), and reflection-driven encoding was a
// quarter of the gateway's CPU time on a list; TestAppendJSONMatchesMarshal
// holds the two encodings equal. Strings that need escaping, and expanded
// agency or service objects, still go through encoding/json.
func (v View) AppendJSON(b []byte) (_ []byte, err error) {
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"object":`...)
	b = appendString(b, v.Object)
	b = append(b, `,"livemode":`...)
	b = appendBool(b, v.Livemode)
	b = append(b, `,"status":`...)
	b = appendString(b, string(v.Status))
	b = append(b, `,"amount":`...)
	b = appendDecimal(b, v.Amount, &err)
	b = append(b, `,"amount_refunded":`...)
	b = appendDecimal(b, v.AmountRefunded, &err)
	b = append(b, `,"amount_refund_pending":`...)
	b = appendDecimal(b, v.AmountRefundPending, &err)
	b = append(b, `,"currency":`...)
	b = appendString(b, v.Currency)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(v.Kind))
	b = append(b, `,"service":`...)
	b = appendAny(b, v.Service, &err)
	b = append(b, `,"agency":`...)
	b = appendAny(b, v.Agency, &err)
	b = append(b, `,"reference":`...)
	b = appendString(b, v.Reference)
	b = append(b, `,"quote":`...)
	b = appendStringPtr(b, v.Quote)
	b = append(b, `,"payer":{"name":`...)
	b = appendString(b, v.Payer.Name)
	if v.Payer.IDNumber != "" {
		b = append(b, `,"id_number":`...)
		b = appendString(b, v.Payer.IDNumber)
	}
	if v.Payer.TaxCode != "" {
		b = append(b, `,"tax_code":`...)
		b = appendString(b, v.Payer.TaxCode)
	}
	b = append(b, `},"description":`...)
	b = appendStringPtr(b, v.Description)
	b = append(b, `,"payment_code":`...)
	b = appendString(b, v.PaymentCode)
	if v.ClientToken != "" {
		b = append(b, `,"client_token":`...)
		b = appendString(b, v.ClientToken)
	}
	b = append(b, `,"expires_at":`...)
	b = appendTime(b, v.ExpiresAt, &err)
	b = append(b, `,"return_url":`...)
	b = appendStringPtr(b, v.ReturnURL)
	b = append(b, `,"metadata":`...)
	b = appendMetadata(b, v.Metadata)
	b = append(b, `,"failure_code":`...)
	b = appendStringPtr(b, v.FailureCode)
	b = append(b, `,"last_attempt_error":`...)
	if v.LastAttemptError == nil {
		b = append(b, "null"...)
	} else {
		b = appendAny(b, v.LastAttemptError, &err)
	}
	b = append(b, `,"provider":`...)
	b = appendStringPtr(b, v.Provider)
	b = append(b, `,"succeeded_at":`...)
	b = appendTimePtr(b, v.SucceededAt, &err)
	b = append(b, `,"canceled_at":`...)
	b = appendTimePtr(b, v.CanceledAt, &err)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, v.CreatedAt, &err)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, v.UpdatedAt, &err)
	if len(v.Methods) > 0 {
		b = append(b, `,"methods":[`...)
		for i, m := range v.Methods {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m)
		}
		b = append(b, ']')
	}
	return append(b, '}'), err
}

// appendString writes s quoted. Only plain printable ASCII, which payment
// fields mostly are, is written here; anything encoding/json would escape
// or replace (quotes, backslashes, controls, <, >, &, non-ASCII) is left to
// it, so the two never differ.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendMarshal(b, s, nil)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendDecimal writes an amount as a JSON string, as decimal.Decimal's
// MarshalJSON does.
func appendDecimal(b []byte, d decimal.Decimal, err *error) []byte {
	if decimal.MarshalJSONWithoutQuotes {
		return appendMarshal(b, d, err)
	}
	b = append(b, '"')
	b = append(b, d.String()...)
	return append(b, '"')
}

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped); the years it refuses, outside
// 0–9999, are left to it to report.
func appendTime(b []byte, t time.Time, err *error) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return appendMarshal(b, t, err)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendTimePtr(b []byte, t *time.Time, err *error) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendTime(b, *t, err)
}

func appendAny(b []byte, v any, err *error) []byte {
	if s, ok := v.(string); ok {
		return appendString(b, s)
	}
	return appendMarshal(b, v, err)
}

// appendMetadata writes the map with its keys sorted, as encoding/json does.
func appendMetadata(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendMarshal is the fallback to encoding/json for the rare value the
// fast path leaves alone; its error, if any, is kept in *err (nil: the
// value is one that always marshals, such as a string).
func appendMarshal(b []byte, v any, err *error) []byte {
	j, e := json.Marshal(v)
	if e != nil {
		if err != nil && *err == nil {
			*err = e
		}
		return b
	}
	return append(b, j...)
}
