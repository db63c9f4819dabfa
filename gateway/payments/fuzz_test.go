package payments

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzCreateRequest feeds arbitrary bodies through the same strict decoding
// the API uses and the validation that needs no database: nothing may
// panic, and an accepted amount is always a positive whole number of đồng.
func FuzzCreateRequest(f *testing.F) {
	f.Add([]byte(`{"service":"GPLX-CAPDOI","reference":"HS-2026-000123","payer":{"name":"Nguyễn Văn An","id_number":"001099012345"}}`))
	f.Add([]byte(`{"service":"XPVPHC-GT","reference":"12/QD-XPHC","amount":"1500000","payer":{"name":"A","tax_code":"0101234567-001"},"expires_at":"2026-11-24T10:00:00+07:00","metadata":{"k":"v"}}`))
	f.Add([]byte(`{"amount":"1e9"}`))
	f.Add([]byte(`{"amount":1000}`))
	f.Add([]byte(`{"payer":{"name":"A\u202eB"}}`))
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var r CreateRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return
		}
		amount, errs := r.validateShape(now)
		if amount != nil && (!amount.IsInteger() || !amount.IsPositive() || len(amount.String()) > 15) {
			t.Fatalf("accepted amount %s from %q", amount, body)
		}
		if len(errs) == 0 && r.Payer == nil {
			t.Fatalf("accepted a request without a payer: %q", body)
		}
	})
}
