// Command pack prepares the built widget for serving. The build
// (wasm/wasm.mk) runs it right after compiling wasm/dist/civicpay.wasm:
//
//	go run ./wasm/pack
//
// It copies wasm_exec.js from the Go toolchain that is running it (so the
// JS glue always matches the compiler), names civicpay.wasm and
// wasm_exec.js by content hash, rewrites those names into the loader
// (wasm/civicpay.js), writes brotli (best quality) and gzip (best)
// variants of each file and finally manifest.json, which package
// wasm/assets reads. Files of earlier builds are removed.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/andybalholm/brotli"
)

// Placeholders in wasm/civicpay.js that pack replaces by hashed names.
const (
	wasmPlaceholder = "__CIVICPAY_WASM__"
	execPlaceholder = "__CIVICPAY_WASM_EXEC__"
)

// Manifest is wasm/dist/manifest.json. Keep in sync with wasm/assets.
type Manifest struct {
	Version   int              `json:"version"`
	GoVersion string           `json:"go_version"`
	Loader    string           `json:"loader"`    // "civicpay.js"
	Wasm      string           `json:"wasm"`      // "civicpay.<hash>.wasm"
	WasmExec  string           `json:"wasm_exec"` // "wasm_exec.<hash>.js"
	Files     map[string]*File `json:"files"`
}

// File describes one served file and its precompressed variants.
type File struct {
	ContentType string `json:"content_type"`
	Immutable   bool   `json:"immutable"` // content-hashed name
	SHA256      string `json:"sha256"`
	Size        int    `json:"size"`
	Brotli      int    `json:"br"`   // size of name.br
	Gzip        int    `json:"gzip"` // size of name.gz
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("pack: ")
	in := flag.String("wasm", "wasm/dist/civicpay.wasm", "compiled widget")
	loader := flag.String("loader", "wasm/civicpay.js", "loader source with placeholders")
	out := flag.String("out", "wasm/dist", "output directory")
	goroot := flag.String("goroot", "", "Go root to take lib/wasm/wasm_exec.js from (default: go env GOROOT)")
	flag.Parse()
	if err := run(*in, *loader, *out, *goroot); err != nil {
		log.Fatal(err)
	}
}

func run(in, loaderPath, out, goroot string) error {
	if goroot == "" {
		b, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("go env GOROOT: %w", err)
		}
		goroot = strings.TrimSpace(string(b))
	}
	wasmBin, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("%w (build the widget first: make wasm)", err)
	}
	if !bytes.HasPrefix(wasmBin, []byte("\x00asm")) {
		return fmt.Errorf("%s is not a WebAssembly module", in)
	}
	execJS, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	loaderJS, err := os.ReadFile(loaderPath)
	if err != nil {
		return err
	}

	m := &Manifest{Version: 1, GoVersion: runtime.Version(), Loader: "civicpay.js", Files: map[string]*File{}}
	m.Wasm = hashedName("civicpay", ".wasm", wasmBin)
	m.WasmExec = hashedName("wasm_exec", ".js", execJS)
	for _, p := range []string{wasmPlaceholder, execPlaceholder} {
		if !bytes.Contains(loaderJS, []byte(p)) {
			return fmt.Errorf("%s lacks the placeholder %s", loaderPath, p)
		}
	}
	loaderJS = bytes.ReplaceAll(loaderJS, []byte(wasmPlaceholder), []byte(m.Wasm))
	loaderJS = bytes.ReplaceAll(loaderJS, []byte(execPlaceholder), []byte(m.WasmExec))

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{".gitkeep": true, "manifest.json": true}
	type file struct {
		name, ctype string
		data        []byte
		immutable   bool
	}
	for _, f := range []file{
		{m.Wasm, "application/wasm", wasmBin, true},
		{m.WasmExec, "text/javascript; charset=utf-8", execJS, true},
		{m.Loader, "text/javascript; charset=utf-8", loaderJS, false},
	} {
		br, gz, err := compress(f.data)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(f.data)
		m.Files[f.name] = &File{
			ContentType: f.ctype, Immutable: f.immutable, SHA256: hex.EncodeToString(sum[:]),
			Size: len(f.data), Brotli: len(br), Gzip: len(gz),
		}
		for name, data := range map[string][]byte{f.name: f.data, f.name + ".br": br, f.name + ".gz": gz} {
			if err := writeFile(filepath.Join(out, name), data); err != nil {
				return err
			}
			keep[name] = true
		}
		log.Printf("%-32s %9d raw %9d gzip %9d brotli", f.name, len(f.data), len(gz), len(br))
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// The manifest goes last: its presence marks a complete build.
	if err := writeFile(filepath.Join(out, "manifest.json"), append(mj, '\n')); err != nil {
		return err
	}
	// Remove files of earlier builds, and the unhashed compiler output.
	ents, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !keep[e.Name()] && !e.IsDir() {
			if err := os.Remove(filepath.Join(out, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// hashedName is base.<first 16 hex digits of SHA-256>ext.
func hashedName(base, ext string, data []byte) string {
	sum := sha256.Sum256(data)
	return base + "." + hex.EncodeToString(sum[:8]) + ext
}

func compress(data []byte) (br, gz []byte, err error) {
	var b bytes.Buffer
	bw := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 24})
	if _, err := bw.Write(data); err != nil {
		return nil, nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, nil, err
	}
	var g bytes.Buffer
	gw, err := gzip.NewWriterLevel(&g, gzip.BestCompression)
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.Copy(gw, bytes.NewReader(data)); err != nil {
		return nil, nil, err
	}
	if err := gw.Close(); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), g.Bytes(), nil
}

// writeFile writes via a temporary file and rename, so a reader (or an
// interrupted build) never sees a half-written file.
func writeFile(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
