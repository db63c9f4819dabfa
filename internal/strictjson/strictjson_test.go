package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type payer struct {
	Name string `json:"name"`
}

type request struct {
	Service  string            `json:"service"`
	Amount   *string           `json:"amount,omitempty"`
	Payer    *payer            `json:"payer,omitempty"`
	Items    []payer           `json:"items,omitempty"`
	Expires  *time.Time        `json:"expires_at,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Extra    json.RawMessage   `json:"extra,omitempty"`
	Any      any               `json:"any,omitempty"`
	Count    int               `json:"count,omitempty"`
	Key      string
}

func paths(err error) []string {
	var fe FieldErrors
	if !errors.As(err, &fe) {
		return nil
	}
	var out []string
	for _, f := range fe {
		out = append(out, string(f.Kind)+":"+f.Path)
	}
	return out
}

func TestDecodeRefusesWhatCouldMeanTwoThings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       []string
	}{
		{"repeated key", `{"service":"A","service":"B"}`, []string{"duplicate_field:service"}},
		{"keys differing by case", `{"service":"A","Service":"B"}`, []string{"duplicate_field:Service"}},
		{"escaped twin", `{"amount":"1","\u0061mount":"9"}`, []string{"duplicate_field:amount"}},
		{"kelvin sign folds to k", `{"Key":"a","\u212aey":"b"}`, []string{"duplicate_field:\u212aey"}},
		{"nested", `{"payer":{"name":"a","NAME":"b"}}`, []string{"duplicate_field:payer.NAME"}},
		{"in an array element", `{"items":[{"name":"a"},{"name":"a","name":"b"}]}`, []string{"duplicate_field:items[1].name"}},
		{"in a map", `{"metadata":{"k":"1","k":"2"}}`, []string{"duplicate_field:metadata.k"}},
		{"inside raw JSON", `{"extra":{"a":1,"a":2}}`, []string{"duplicate_field:extra.a"}},
		{"inside an interface", `{"any":[{"a":1,"a":2}]}`, []string{"duplicate_field:any[0].a"}},
		{"inside an unknown field", `{"zzz":{"a":1,"a":2}}`, []string{"unknown_field:zzz", "duplicate_field:zzz.a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r request
			err := Decode([]byte(tc.body), &r, Options{DisallowUnknown: true})
			if got := paths(err); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode(%s) = %v (%v), want %v", tc.body, got, err, tc.want)
			}
		})
	}
}

func TestDecodeAllowsWhatIsUnambiguous(t *testing.T) {
	t.Parallel()
	var r request
	body := `{"service":"A","metadata":{"k":"1","K":"2"},"Extra":{"a":1},"payer":{"Name":"An"},"items":[],"count":3}`
	if err := Decode([]byte(body), &r, Options{DisallowUnknown: true}); err != nil {
		t.Fatal(err)
	}
	if r.Service != "A" || r.Metadata["k"] != "1" || r.Metadata["K"] != "2" || string(r.Extra) != `{"a":1}` ||
		r.Payer.Name != "An" || r.Items == nil || r.Count != 3 {
		t.Fatalf("decoded %+v", r)
	}
}

func TestDecodeReportsEveryFieldAtOnce(t *testing.T) {
	t.Parallel()
	var r request
	body := `{"service":5,"payer":{"name":"An","age":30},"items":[{"nam":"x"}],"expires_at":"tomorrow","count":"3","amount":"100"}`
	err := Decode([]byte(body), &r, Options{DisallowUnknown: true})
	want := []string{"wrong_type:service", "unknown_field:payer.age", "unknown_field:items[0].nam", "invalid:expires_at", "wrong_type:count"}
	if got := paths(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors %v (%v), want %v", got, err, want)
	}
	if r.Payer == nil || r.Payer.Name != "An" || r.Amount == nil || *r.Amount != "100" {
		t.Fatalf("valid fields were not decoded: %+v", r)
	}
	var fe FieldErrors
	errors.As(err, &fe)
	if fe[0].Want != "a string" || fe[0].Got != "number" || fe[4].Want != "a number" {
		t.Fatalf("type details %+v", fe)
	}
}

func TestDecodeWholeDocumentErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]error{
		"":                ErrEmpty,
		"  \n":            ErrEmpty,
		`{"a":1} {"a":2}`: ErrTrailing,
		`{"a":1}x`:        ErrTrailing,
		`{"a":}`:          ErrSyntax,
		`{"a":"\x01"}`:    ErrSyntax,
		`{"a":01}`:        ErrSyntax,
		`{"a":"\q"}`:      ErrSyntax,
		`[1,]`:            ErrSyntax,
		`{"a":1`:          ErrSyntax,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001): ErrSyntax,
	}
	for body, want := range cases {
		var v any
		if err := Decode([]byte(body), &v, Options{}); !errors.Is(err, want) {
			t.Errorf("Decode(%.40q) = %v, want %v", body, err, want)
		}
	}
}

func TestDecodeTopLevelWrongType(t *testing.T) {
	t.Parallel()
	var r request
	if got := paths(Decode([]byte(`[1]`), &r, Options{})); !reflect.DeepEqual(got, []string{"wrong_type:"}) {
		t.Fatalf("array into struct: %v", got)
	}
}

func TestUseNumberKeepsDigits(t *testing.T) {
	t.Parallel()
	var v struct {
		N json.Number `json:"n"`
		A any         `json:"a"`
	}
	if err := Decode([]byte(`{"n":12345678901234567890,"a":[1.50]}`), &v, Options{UseNumber: true}); err != nil {
		t.Fatal(err)
	}
	if v.N != "12345678901234567890" || v.A.([]any)[0] != json.Number("1.50") {
		t.Fatalf("numbers: %#v", v)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if err := Check([]byte(`{"a":[{"b":1},{"b":2}],"B":3,"b":4}`)); err != nil {
		t.Fatalf("distinct keys refused: %v", err)
	}
	if got := paths(Check([]byte(`{"a":[{"b":1,"b":2}]}`))); !reflect.DeepEqual(got, []string{"duplicate_field:a[0].b"}) {
		t.Fatalf("Check = %v", got)
	}
}

func TestLongKeysAreCutInPaths(t *testing.T) {
	t.Parallel()
	var r request
	long := strings.Repeat("é", 100)
	err := Decode([]byte(`{"`+long+`":1}`), &r, Options{DisallowUnknown: true})
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe[0].Path) > maxKey+len("…") || !strings.HasSuffix(fe[0].Path, "…") {
		t.Fatalf("path %q", fe)
	}
}
