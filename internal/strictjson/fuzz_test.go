package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// fuzzTarget has the shapes the gateway decodes: strings, numbers kept
// exact, nested objects, lists and maps.
type fuzzTarget struct {
	Name  string            `json:"name"`
	N     json.Number       `json:"n"`
	Tags  []string          `json:"tags"`
	Sub   *struct{ A int }  `json:"sub"`
	M     map[string]string `json:"m"`
	Raw   json.RawMessage   `json:"raw"`
	Other any               `json:"other"`
	At    *time.Time        `json:"at"`
}

// FuzzDecode: Decode accepts exactly the valid JSON documents without a
// repeated key, and then decodes what encoding/json decodes; it never
// accepts what encoding/json's strict mode refuses. Seeds live in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var got any
		err := Decode(data, &got, Options{UseNumber: true})
		if !json.Valid(data) {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTrailing) {
				t.Fatalf("invalid JSON %q: %v", data, err)
			}
			return
		}
		var fe FieldErrors
		if err != nil && (!errors.As(err, &fe) || len(fe) == 0) {
			t.Fatalf("valid JSON %q: %v", data, err)
		}
		if dup := hasDuplicate(t, data); dup != (err != nil) || (err != nil && !fe.Has(KindDuplicate)) {
			t.Fatalf("%q: repeated key %v, Decode %v", data, dup, err)
		}
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: Decode %#v, encoding/json %#v (%v)", data, got, want, err)
			}
		}

		var mine fuzzTarget
		if Decode(data, &mine, Options{DisallowUnknown: true, UseNumber: true}) != nil {
			return
		}
		var theirs fuzzTarget
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&theirs); err != nil {
			t.Fatalf("%q: Decode accepted what encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(mine, theirs) {
			t.Fatalf("%q: Decode %#v, encoding/json %#v", data, mine, theirs)
		}
	})
}

// hasDuplicate finds a repeated key with encoding/json's tokenizer, as an
// independent reading of the document.
func hasDuplicate(t *testing.T, data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj     bool
		seen    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.seen[k] {
				return true
			}
			top.seen[k] = true
			top.wantKey = false
			continue
		}
		if top != nil && top.obj {
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, seen: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
