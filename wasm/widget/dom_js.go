//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
)

var (
	global   = js.Global()
	document = global.Get("document")
	jsObject = global.Get("Object")
	jsJSON   = global.Get("JSON")
	jsDate   = global.Get("Date")
)

// isObject reports whether v can have properties read from it.
func isObject(v js.Value) bool {
	t := v.Type()
	return t == js.TypeObject || t == js.TypeFunction
}

// fields reads the properties named by paths ("a" or "a.b.c" for nested
// objects) of v as strings: "" where a property is missing, null or not a
// string or number. One loop instead of a call site per field keeps the
// wasm small.
func fields(v js.Value, paths ...string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		x := v
		for isObject(x) {
			j := strings.IndexByte(p, '.')
			if j < 0 {
				x = x.Get(p)
				switch x.Type() {
				case js.TypeString:
					out[i] = x.String()
				case js.TypeNumber:
					out[i] = global.Call("String", x).String()
				}
				break
			}
			x, p = x.Get(p[:j]), p[j+1:]
		}
	}
	return out
}

// strList reads property k of v as an array of strings.
func strList(v js.Value, k string) []string {
	a := v.Get(k)
	if !isObject(a) || a.Get("length").Type() != js.TypeNumber {
		return nil
	}
	out := make([]string, 0, a.Length())
	for i := 0; i < a.Length(); i++ {
		if x := a.Index(i); x.Type() == js.TypeString {
			out = append(out, x.String())
		}
	}
	return out
}

// parseJSON turns JSON text into a JS value with the browser's parser.
// The widget uses it to build option objects in one call; text that is
// not JSON (from the network) yields undefined.
func parseJSON(s string) (v js.Value) {
	defer func() {
		if recover() != nil {
			v = js.Undefined()
		}
	}()
	return jsJSON.Call("parse", s)
}

// nowMs is Date.now().
func nowMs() float64 {
	return jsDate.Call("now").Float()
}

// parseDateMs parses an RFC 3339 time with Date.parse (no Go time
// formatting code), returning 0 when it is not a valid date.
func parseDateMs(s string) float64 {
	if ms := jsDate.Call("parse", s).Float(); ms == ms { // not NaN
		return ms
	}
	return 0
}

// await blocks the calling goroutine until promise p settles. It must not
// be called from a js.Func callback (the event loop would deadlock): the
// widget calls it from goroutines only.
func await(p js.Value) (js.Value, bool) {
	type result struct {
		v  js.Value
		ok bool
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{args[0], true}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{args[0], false}
		return nil
	})
	p.Call("then", ok, fail)
	r := <-ch
	ok.Release()
	fail.Release()
	return r.v, r.ok
}

// logError writes to the browser console, for integrators debugging.
func logError(msg string, v any) {
	global.Get("console").Call("error", "CivicPay: "+msg, v)
}
