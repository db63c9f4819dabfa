package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// Decode reads exactly one JSON value from data into v, a non-nil pointer.
// It returns ErrEmpty, ErrSyntax or ErrTrailing (wrapped) when data is not
// one JSON value, and FieldErrors when it is but some keys are repeated
// (also as keys encoding/json would match to the same struct field, such
// as "amount" and "Amount"), unknown (with DisallowUnknown) or of the
// wrong type. A repeated key is refused at any depth, also inside values
// decoded into interfaces or json.RawMessage.
func Decode(data []byte, v any, o Options) error {
	root, err := parse(data)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("strictjson: Decode needs a non-nil pointer")
	}
	d := decoder{data: data, o: o}
	d.value(root, rv.Elem(), "")
	if len(d.errs) > 0 {
		return d.errs
	}
	return nil
}

// Check is Decode without a target: data must be one JSON value with no
// repeated key in any object.
func Check(data []byte) error {
	root, err := parse(data)
	if err != nil {
		return err
	}
	d := decoder{data: data}
	d.dups(root, "")
	if len(d.errs) > 0 {
		return d.errs
	}
	return nil
}

type decoder struct {
	data []byte
	o    Options
	errs FieldErrors
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

func custom(t reflect.Type) bool {
	return t.Implements(unmarshalerType) || t.Implements(textUnmarshalerType)
}

// value decodes n into v (settable), walking objects and arrays itself so
// that every key is checked, and handing scalars to encoding/json.
func (d *decoder) value(n *node, v reflect.Value, path string) {
	if n.kind == 'n' {
		d.leaf(n, v, path)
		return
	}
	// Follow pointers as encoding/json does, allocating, and stop at a
	// type that decodes itself.
	for {
		if v.CanAddr() && custom(v.Addr().Type()) {
			d.leaf(n, v, path)
			return
		}
		if v.Kind() != reflect.Pointer {
			break
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		d.object(n, v, path)
	case reflect.Map:
		if n.kind != '{' {
			d.wrongType(n, v.Type(), path)
			return
		}
		if v.Type().Key().Kind() != reflect.String || custom(reflect.PointerTo(v.Type().Key())) {
			d.leaf(n, v, path)
			return
		}
		d.mapValue(n, v, path)
	case reflect.Slice:
		if n.kind != '[' || v.Type().Elem().Kind() == reflect.Uint8 {
			d.leaf(n, v, path) // []byte is base64; other mismatches are reported there
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.vals), len(n.vals))
		for i, e := range n.vals {
			d.value(e, s.Index(i), joinIndex(path, i))
		}
		v.Set(s)
	default:
		d.leaf(n, v, path)
	}
}

func (d *decoder) object(n *node, v reflect.Value, path string) {
	if n.kind != '{' {
		d.wrongType(n, v.Type(), path)
		return
	}
	fs := fieldsOf(v.Type())
	if fs.fallback {
		d.leaf(n, v, path)
		return
	}
	// Two keys that fill the same field are one key said twice; keys that
	// fill no field are compared by their fold.
	var filled []*field
	var unknown map[string]bool
	for i, key := range n.keys {
		at := joinKey(path, key)
		f := fs.exact[key]
		if f == nil {
			f = fs.folded[fold(key)]
		}
		repeated := false
		if f != nil {
			for _, g := range filled {
				repeated = repeated || g == f
			}
			filled = append(filled, f)
		} else {
			if unknown == nil {
				unknown = map[string]bool{}
			}
			id := fold(key)
			repeated = unknown[id]
			unknown[id] = true
		}
		if repeated {
			d.errs = append(d.errs, FieldError{Path: at, Kind: KindDuplicate})
			d.dups(n.vals[i], at)
			continue
		}
		if f == nil {
			if d.o.DisallowUnknown {
				d.errs = append(d.errs, FieldError{Path: at, Kind: KindUnknown})
			}
			d.dups(n.vals[i], at)
			continue
		}
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			continue // an unexported embedded pointer: encoding/json errs too
		}
		d.value(n.vals[i], fv, at)
	}
}

func (d *decoder) mapValue(n *node, v reflect.Value, path string) {
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.keys)))
	}
	seen := make(map[string]bool, len(n.keys))
	for i, key := range n.keys {
		at := joinKey(path, key)
		if seen[key] {
			d.errs = append(d.errs, FieldError{Path: at, Kind: KindDuplicate})
			d.dups(n.vals[i], at)
			continue
		}
		seen[key] = true
		elem := reflect.New(t.Elem()).Elem()
		d.value(n.vals[i], elem, at)
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
	}
}

// leaf decodes n with encoding/json after checking the keys inside it.
func (d *decoder) leaf(n *node, v reflect.Value, path string) {
	d.dups(n, path)
	raw := d.data[n.start:n.end]
	if v.CanAddr() && !custom(v.Addr().Type()) {
		switch { // the common scalars, without a decoder
		case v.Kind() == reflect.String && v.Type() != numberType && n.kind == '"' &&
			bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw):
			v.SetString(string(raw[1 : len(raw)-1]))
			return
		case v.Type() == numberType && n.kind == '0':
			v.SetString(string(raw))
			return
		case v.Kind() == reflect.Bool && n.kind == 't':
			v.SetBool(raw[0] == 't')
			return
		}
	}
	if n.kind != 'n' && v.CanAddr() {
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			if err := u.UnmarshalJSON(raw); err != nil {
				d.errs = append(d.errs, FieldError{Path: path, Kind: KindInvalid, Err: err})
			}
			return
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if d.o.UseNumber {
		dec.UseNumber()
	}
	if d.o.DisallowUnknown {
		dec.DisallowUnknownFields()
	}
	var target any
	if v.CanAddr() {
		target = v.Addr().Interface()
	} else {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		defer func() { v.Set(p.Elem()) }()
		target = p.Interface()
	}
	err := dec.Decode(target)
	if err == nil {
		return
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		at := path
		if typ.Field != "" {
			at = joinKey(path, typ.Field)
		}
		want := v.Type()
		if typ.Type != nil {
			want = typ.Type
		}
		d.errs = append(d.errs, FieldError{Path: at, Kind: KindWrongType, Want: jsonKind(want), Got: kindName(n)})
		return
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		d.errs = append(d.errs, FieldError{Path: joinKey(path, strings.Trim(name, `"`)), Kind: KindUnknown})
		return
	}
	d.errs = append(d.errs, FieldError{Path: path, Kind: KindInvalid, Err: err})
}

// dups reports repeated keys (exactly equal) in every object under n.
func (d *decoder) dups(n *node, path string) {
	switch n.kind {
	case '{':
		if len(n.keys) > 1 {
			seen := make(map[string]bool, len(n.keys))
			for _, k := range n.keys {
				if seen[k] {
					d.errs = append(d.errs, FieldError{Path: joinKey(path, k), Kind: KindDuplicate})
				}
				seen[k] = true
			}
		}
		for i, k := range n.keys {
			d.dups(n.vals[i], joinKey(path, k))
		}
	case '[':
		for i, e := range n.vals {
			d.dups(e, joinIndex(path, i))
		}
	}
}

func (d *decoder) wrongType(n *node, t reflect.Type, path string) {
	d.errs = append(d.errs, FieldError{Path: path, Kind: KindWrongType, Want: jsonKind(t), Got: kindName(n)})
	d.dups(n, path)
}

func kindName(n *node) string {
	switch n.kind {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't':
		return "boolean"
	}
	return "null"
}

// jsonKind names the JSON a Go type is written as, for error details.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == numberType {
		return "a number"
	}
	if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "another type"
}

// field is one struct field as encoding/json names it.
type field struct {
	name  string
	index []int
}

type fieldSet struct {
	exact, folded map[string]*field
	// fallback: the struct uses a tag option this walk does not model
	// (",string"); encoding/json decodes it whole.
	fallback bool
}

var fieldCache sync.Map // reflect.Type → *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{exact: map[string]*field{}, folded: map[string]*field{}}
	depthOf := map[string]int{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",string,") {
				fs.fallback = true
			}
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if d, ok := depthOf[name]; ok && d <= len(idx) {
				continue // a shallower field of that name wins
			}
			depthOf[name] = len(idx)
			f := &field{name: name, index: idx}
			fs.exact[name] = f
			if _, ok := fs.folded[fold(name)]; !ok || len(idx) < len(fs.folded[fold(name)].index) {
				fs.folded[fold(name)] = f
			}
		}
	}
	walk(t, nil)
	got, _ := fieldCache.LoadOrStore(t, fs)
	return got.(*fieldSet)
}

// fieldByIndex is reflect's FieldByIndex, allocating embedded pointers.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, v.CanSet()
}
