// Package assets serves the payment widget that package wasm embeds:
//
//	mux.Handle("/widget/", assets.Handler())
//
// It serves /widget/civicpay.js (the loader; short cache, since it names
// the current build) and the content-hashed /widget/civicpay.<hash>.wasm
// and /widget/wasm_exec.<hash>.js (cached for a year, immutable). Each
// file is precompressed: brotli or gzip is chosen by Accept-Encoding, with
// Vary: Accept-Encoding. CORS allows any origin, since portals on other
// origins load the widget. When the widget was not built into the binary
// every request gets 503 application/problem+json.
package assets

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/civicpay/civicpay/wasm"
)

// Prefix is the URL path the handler serves under.
const Prefix = "/widget/"

// Cache lifetimes.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheLoader    = "public, max-age=300"
)

// Manifest is dist/manifest.json, written by wasm/pack.
type Manifest struct {
	Version   int              `json:"version"`
	GoVersion string           `json:"go_version"`
	Loader    string           `json:"loader"`
	Wasm      string           `json:"wasm"`
	WasmExec  string           `json:"wasm_exec"`
	Files     map[string]*File `json:"files"`
}

// File is one served file of the manifest.
type File struct {
	ContentType string `json:"content_type"`
	Immutable   bool   `json:"immutable"`
	SHA256      string `json:"sha256"`
	Size        int    `json:"size"`
	Brotli      int    `json:"br"`
	Gzip        int    `json:"gzip"`
}

// variant is one encoding of a file, held in memory.
type variant struct {
	encoding string // "br", "gzip" or "" (identity)
	etag     string
	data     []byte
}

type asset struct {
	file     *File
	variants []variant // in order of preference: br, gzip, identity
}

type handler struct {
	assets map[string]*asset
}

// Handler serves the embedded widget build. The files are read into
// memory once, on the first call; later calls return the same handler.
var Handler = sync.OnceValue(func() http.Handler {
	dist, err := fs.Sub(wasm.Dist, "dist")
	if err != nil {
		return unavailable{}
	}
	return New(dist)
})

// Embedded returns the manifest of the embedded build, for example to
// print <link rel="preload"> tags naming the current hashed files.
func Embedded() (*Manifest, error) {
	dist, err := fs.Sub(wasm.Dist, "dist")
	if err != nil {
		return nil, err
	}
	return ReadManifest(dist)
}

// New serves the widget build in fsys (the contents of wasm/dist). It
// returns a handler answering 503 when fsys holds no complete build.
func New(fsys fs.FS) http.Handler {
	m, err := ReadManifest(fsys)
	if err != nil {
		return unavailable{}
	}
	h := &handler{assets: map[string]*asset{}}
	for name, f := range m.Files {
		if strings.ContainsAny(name, "/\\") {
			return unavailable{}
		}
		a := &asset{file: f}
		tag := f.SHA256
		if len(tag) > 16 {
			tag = tag[:16]
		}
		for _, v := range []variant{{"br", `"` + tag + `-br"`, nil}, {"gzip", `"` + tag + `-gz"`, nil}, {"", `"` + tag + `"`, nil}} {
			file := name
			switch v.encoding {
			case "br":
				file += ".br"
			case "gzip":
				file += ".gz"
			}
			data, err := fs.ReadFile(fsys, file)
			if err != nil {
				if v.encoding == "" {
					return unavailable{} // the identity variant is required
				}
				continue
			}
			v.data = data
			a.variants = append(a.variants, v)
		}
		h.assets[name] = a
	}
	return h
}

// ReadManifest reads manifest.json of a build.
func ReadManifest(fsys fs.FS) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return nil, err
	}
	m := new(Manifest)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, err
	}
	if m.Loader == "" || m.Files[m.Loader] == nil || m.Files[m.Wasm] == nil || m.Files[m.WasmExec] == nil {
		return nil, fs.ErrNotExist
	}
	return m, nil
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	// Lets portals that set Cross-Origin-Embedder-Policy load the files.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	// Lets portals measure the download in Resource Timing.
	h.Set("Timing-Allow-Origin", "*")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	setCORS(hd)
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	a := h.assets[name]
	if !ok || a == nil {
		problem(w, http.StatusNotFound, "Not Found", "No widget file at "+r.URL.Path+".", "not_found")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		hd.Set("Access-Control-Max-Age", "86400")
		hd.Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		hd.Set("Allow", "GET, HEAD, OPTIONS")
		problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "Widget files are read with GET.", "method_not_allowed")
		return
	}
	v := negotiate(r.Header.Get("Accept-Encoding"), a.variants)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("Content-Type", a.file.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	if a.file.Immutable {
		hd.Set("Cache-Control", cacheImmutable)
	} else {
		hd.Set("Cache-Control", cacheLoader)
	}
	if v == nil {
		problem(w, http.StatusNotAcceptable, "Not Acceptable", "No acceptable content encoding (br, gzip or identity).", "not_acceptable")
		return
	}
	hd.Set("ETag", v.etag)
	if etagMatch(r.Header.Get("If-None-Match"), v.etag) {
		hd.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if v.encoding != "" {
		hd.Set("Content-Encoding", v.encoding)
	}
	hd.Set("Content-Length", strconv.Itoa(len(v.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(v.data)
	}
}

// negotiate picks the best variant allowed by an Accept-Encoding header:
// brotli over gzip over identity, skipping codings with q=0. Identity is
// acceptable unless excluded ("identity;q=0", or "*;q=0" without an
// identity entry). It returns nil when nothing is acceptable.
func negotiate(header string, vs []variant) *variant {
	q := map[string]float64{}
	star := -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		weight := 1.0
		for _, p := range strings.Split(params, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					weight = f
				}
			}
		}
		if coding == "*" {
			star = weight
			continue
		}
		if coding == "x-gzip" {
			coding = "gzip"
		}
		q[coding] = weight
	}
	acceptable := func(enc string) bool {
		if w, ok := q[enc]; ok {
			return w > 0
		}
		if enc == "identity" {
			return star != 0
		}
		return star > 0
	}
	for i := range vs {
		enc := vs[i].encoding
		if enc == "" {
			enc = "identity"
		}
		if acceptable(enc) {
			return &vs[i]
		}
	}
	return nil
}

// etagMatch implements the weak comparison of If-None-Match.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// unavailable answers every request when no widget was built in.
type unavailable struct{}

func (unavailable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	w.Header().Set("Retry-After", "3600")
	problem(w, http.StatusServiceUnavailable, "Widget not built",
		"The payment widget is not built into this gateway binary: run `make wasm`, then rebuild the gateway.", "widget_not_built")
}

// problem writes an RFC 9457 application/problem+json answer shaped like
// the API's (gateway/problem), without depending on it.
func problem(w http.ResponseWriter, status int, title, detail, code string) {
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}{"https://civicpay.dev/problems#" + code, title, status, detail, code})
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
