package assets

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func build() fstest.MapFS {
	m := Manifest{Version: 1, Loader: "civicpay.js", Wasm: "civicpay.0123456789abcdef.wasm", WasmExec: "wasm_exec.fedcba9876543210.js",
		Files: map[string]*File{
			"civicpay.js":                    {ContentType: "text/javascript; charset=utf-8", SHA256: "aaaaaaaaaaaaaaaaaaaa"},
			"civicpay.0123456789abcdef.wasm": {ContentType: "application/wasm", Immutable: true, SHA256: "bbbbbbbbbbbbbbbbbbbb"},
			"wasm_exec.fedcba9876543210.js":  {ContentType: "text/javascript; charset=utf-8", Immutable: true, SHA256: "cccccccccccccccccccc"},
		}}
	mj, _ := json.Marshal(m)
	fsys := fstest.MapFS{"manifest.json": {Data: mj}, ".gitkeep": {}}
	for name := range m.Files {
		fsys[name] = &fstest.MapFile{Data: []byte("raw " + name)}
		fsys[name+".br"] = &fstest.MapFile{Data: []byte("br " + name)}
		fsys[name+".gz"] = &fstest.MapFile{Data: []byte("gz " + name)}
	}
	return fsys
}

func get(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestServe(t *testing.T) {
	h := New(build())
	wasm := "/widget/civicpay.0123456789abcdef.wasm"
	cases := []struct {
		path, accept          string
		status                int
		body, encoding, cache string
	}{
		{wasm, "gzip, deflate, br, zstd", 200, "br civicpay.0123456789abcdef.wasm", "br", cacheImmutable},
		{wasm, "gzip", 200, "gz civicpay.0123456789abcdef.wasm", "gzip", cacheImmutable},
		{wasm, "br;q=0, gzip;q=0.5", 200, "gz civicpay.0123456789abcdef.wasm", "gzip", cacheImmutable},
		{wasm, "", 200, "raw civicpay.0123456789abcdef.wasm", "", cacheImmutable},
		{wasm, "deflate", 200, "raw civicpay.0123456789abcdef.wasm", "", cacheImmutable},
		{wasm, "*", 200, "br civicpay.0123456789abcdef.wasm", "br", cacheImmutable},
		{wasm, "identity;q=0", 406, "", "", ""},
		{wasm, "*;q=0", 406, "", "", ""},
		{wasm, "*;q=0, identity", 200, "raw civicpay.0123456789abcdef.wasm", "", cacheImmutable},
		{"/widget/civicpay.js", "br", 200, "br civicpay.js", "br", cacheLoader},
		{"/widget/wasm_exec.fedcba9876543210.js", "x-gzip", 200, "gz wasm_exec.fedcba9876543210.js", "gzip", cacheImmutable},
		{"/widget/manifest.json", "", 404, "", "", ""},
		{"/widget/civicpay.wasm", "", 404, "", "", ""},
		{"/widget/.gitkeep", "", 404, "", "", ""},
		{"/civicpay.js", "", 404, "", "", ""},
	}
	for _, c := range cases {
		w := get(h, "GET", c.path, "Accept-Encoding", c.accept)
		if w.Code != c.status {
			t.Errorf("%s [%s]: status %d, want %d", c.path, c.accept, w.Code, c.status)
			continue
		}
		if w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS header", c.path)
		}
		if c.status != 200 {
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: error content type %s", c.path, ct)
			}
			continue
		}
		if w.Body.String() != c.body || w.Header().Get("Content-Encoding") != c.encoding || w.Header().Get("Cache-Control") != c.cache {
			t.Errorf("%s [%s]: body %q encoding %q cache %q", c.path, c.accept, w.Body, w.Header().Get("Content-Encoding"), w.Header().Get("Cache-Control"))
		}
		if w.Header().Get("Vary") != "Accept-Encoding" || w.Header().Get("ETag") == "" || w.Header().Get("Content-Length") == "" {
			t.Errorf("%s: headers %v", c.path, w.Header())
		}
	}
	if ct := get(h, "GET", wasm).Header().Get("Content-Type"); ct != "application/wasm" {
		t.Errorf("wasm content type %s", ct)
	}
}

func TestConditionalAndMethods(t *testing.T) {
	h := New(build())
	wasm := "/widget/civicpay.0123456789abcdef.wasm"
	first := get(h, "GET", wasm, "Accept-Encoding", "br")
	etag := first.Header().Get("ETag")
	if etag == get(h, "GET", wasm, "Accept-Encoding", "gzip").Header().Get("ETag") {
		t.Error("br and gzip variants share an ETag")
	}
	if w := get(h, "GET", wasm, "Accept-Encoding", "br", "If-None-Match", `"x", `+etag); w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
		t.Errorf("If-None-Match: %d %v", w.Code, w.Header())
	}
	if w := get(h, "GET", wasm, "Accept-Encoding", "gzip", "If-None-Match", etag); w.Code != 200 {
		t.Errorf("If-None-Match of another variant: %d", w.Code)
	}
	if w := get(h, "HEAD", wasm, "Accept-Encoding", "br"); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "33" {
		t.Errorf("HEAD: %d %q %v", w.Code, w.Body, w.Header())
	}
	if w := get(h, "OPTIONS", wasm, "Origin", "https://portal.gov.vn", "Access-Control-Request-Method", "GET"); w.Code != 204 ||
		w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	if w := get(h, "POST", wasm); w.Code != 405 || w.Header().Get("Allow") == "" {
		t.Errorf("POST: %d %v", w.Code, w.Header())
	}
}

func TestNotBuilt(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"empty":         {".gitkeep": {}},
		"bad manifest":  {"manifest.json": {Data: []byte("{")}},
		"missing files": func() fstest.MapFS { f := build(); delete(f, "civicpay.js"); return f }(),
	} {
		w := get(New(fsys), "GET", "/widget/civicpay.js")
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != 503 || w.Header().Get("Content-Type") != "application/problem+json" || p.Status != 503 ||
			p.Code != "widget_not_built" || !strings.Contains(p.Detail, "make wasm") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

// The embedded build, if any, must be complete and consistent.
func TestEmbedded(t *testing.T) {
	w := get(Handler(), "GET", "/widget/civicpay.js", "Accept-Encoding", "identity")
	switch w.Code {
	case 503:
		t.Skip("widget not built (make wasm)")
	case 200:
	default:
		t.Fatalf("civicpay.js: %d", w.Code)
	}
	js := w.Body.String()
	if strings.Contains(js, "__CIVICPAY_WASM") {
		t.Error("the served loader still has placeholders")
	}
	for _, f := range []string{"civicpay.", "wasm_exec."} {
		i := strings.Index(js, "'"+f)
		if i < 0 {
			t.Fatalf("loader names no %s file", f)
		}
		name := js[i+1 : i+1+strings.IndexByte(js[i+1:], '\'')]
		if r := get(Handler(), "GET", "/widget/"+name, "Accept-Encoding", "br"); r.Code != 200 || r.Header().Get("Cache-Control") != cacheImmutable {
			t.Errorf("%s: %d %v", name, r.Code, r.Header())
		}
	}
}
