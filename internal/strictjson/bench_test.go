package strictjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

var benchBody = []byte(`{"service":"GPLX-CAPDOI","amount":"135000",` +
	`"payer":{"name":"Nguyễn Văn An"},"expires_at":"2026-11-23T18:00:00+07:00","metadata":{"dossier":"HS-2026-000123"}}`)

// BenchmarkDecode is the strict decoder on a payment request; compare
// BenchmarkEncodingJSON, what the API did before (one Decode with
// DisallowUnknownFields).
func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r request
		if err := Decode(benchBody, &r, Options{DisallowUnknown: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r request
		dec := json.NewDecoder(bytes.NewReader(benchBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			b.Fatal(err)
		}
	}
}
