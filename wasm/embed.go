// Package wasm embeds the built payment widget (wasm/dist, written by
// `make wasm`). Serve it with package github.com/civicpay/civicpay/wasm/assets.
//
// The directory also holds the widget's sources: widget/ (Go, compiled with
// GOOS=js GOARCH=wasm), civicpay.js (the loader), pack/ (the build step
// that hashes and precompresses) and wasm.mk (the make rules).
package wasm

import "embed"

// Dist is wasm/dist: manifest.json and the hashed, precompressed files it
// lists, or only .gitkeep when the widget has not been built.
//
//go:embed all:dist
var Dist embed.FS
