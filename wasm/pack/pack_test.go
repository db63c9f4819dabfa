package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestPack(t *testing.T) {
	dir := t.TempDir()
	goroot := filepath.Join(dir, "goroot")
	out := filepath.Join(dir, "dist")
	os.MkdirAll(filepath.Join(goroot, "lib", "wasm"), 0o755)
	os.MkdirAll(out, 0o755)
	write := func(name, data string) {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"), "globalThis.Go = class {};")
	write(filepath.Join(out, "civicpay.wasm"), "\x00asm\x01\x00\x00\x00"+strings.Repeat("code", 1000))
	write(filepath.Join(out, ".gitkeep"), "")
	write(filepath.Join(out, "civicpay.0000000000000000.wasm"), "stale")
	loader := filepath.Join(dir, "civicpay.js")
	write(loader, "var a = '__CIVICPAY_WASM__', b = '__CIVICPAY_WASM_EXEC__';")

	if err := run(filepath.Join(out, "civicpay.wasm"), loader, out, goroot); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Wasm, "civicpay.") || len(m.Wasm) != len("civicpay.0123456789abcdef.wasm") || !strings.HasPrefix(m.WasmExec, "wasm_exec.") {
		t.Errorf("names %s %s", m.Wasm, m.WasmExec)
	}
	js, _ := os.ReadFile(filepath.Join(out, "civicpay.js"))
	if want := "var a = '" + m.Wasm + "', b = '" + m.WasmExec + "';"; string(js) != want {
		t.Errorf("loader = %s, want %s", js, want)
	}
	for name, f := range m.Files {
		raw, _ := os.ReadFile(filepath.Join(out, name))
		if len(raw) != f.Size {
			t.Errorf("%s: size %d, manifest %d", name, len(raw), f.Size)
		}
		br, _ := os.ReadFile(filepath.Join(out, name+".br"))
		if got, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(br))); !bytes.Equal(got, raw) || len(br) != f.Brotli {
			t.Errorf("%s.br does not decompress to the file", name)
		}
		gz, _ := os.ReadFile(filepath.Join(out, name+".gz"))
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(zr); !bytes.Equal(got, raw) || len(gz) != f.Gzip {
			t.Errorf("%s.gz does not decompress to the file", name)
		}
	}
	if !m.Files[m.Wasm].Immutable || m.Files["civicpay.js"].Immutable || m.Files[m.Wasm].ContentType != "application/wasm" {
		t.Errorf("manifest %+v", m.Files)
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 11 { // .gitkeep, manifest.json, 3 files x 3 variants
		t.Errorf("dist holds %v", names)
	}
	for _, n := range names {
		if n == "civicpay.wasm" || n == "civicpay.0000000000000000.wasm" || strings.HasSuffix(n, ".tmp") {
			t.Errorf("left %s behind", n)
		}
	}

	// A loader without the placeholders is an error, not a silent no-op.
	write(loader, "nothing here")
	write(filepath.Join(out, "civicpay.wasm"), "\x00asm\x01\x00\x00\x00")
	if err := run(filepath.Join(out, "civicpay.wasm"), loader, out, goroot); err == nil {
		t.Error("no error for a loader without placeholders")
	}
}
