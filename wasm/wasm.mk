# wasm/wasm.mk: the payment widget (Go -> WebAssembly), included by the
# top-level Makefile. Standalone: make -f wasm/wasm.mk wasm
#
#   make wasm        build wasm/dist/ (only when a source changed)
#   make wasm-clean  empty wasm/dist/ (keeps .gitkeep)
#   make wasm-size   print raw / gzip / brotli sizes of the build
#
# The gateway embeds wasm/dist (package wasm) and serves it with
# wasm/assets, so build the widget before the gateway.

GO ?= go

WASM_DIST     := wasm/dist
WASM_MANIFEST := $(WASM_DIST)/manifest.json
WASM_GOROOT   := $(shell $(GO) env GOROOT)
# -gcflags=all=-l (no inlining) makes the module ~40 KB smaller after
# brotli, which keeps it within its 680 KB budget; see docs/WIDGET.md.
WASM_GCFLAGS  ?= all=-l
WASM_SRCS     := $(filter-out %_test.go,$(wildcard wasm/widget/*.go banks/vietqr/*.go wasm/pack/*.go)) \
                 wasm/civicpay.js go.mod go.sum \
                 $(wildcard $(WASM_GOROOT)/VERSION $(WASM_GOROOT)/lib/wasm/wasm_exec.js)

.PHONY: wasm wasm-clean wasm-size

wasm: $(WASM_MANIFEST)

$(WASM_MANIFEST): $(WASM_SRCS)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -gcflags='$(WASM_GCFLAGS)' \
	  -o $(WASM_DIST)/civicpay.wasm ./wasm/widget
	$(GO) run ./wasm/pack -goroot '$(WASM_GOROOT)' -wasm $(WASM_DIST)/civicpay.wasm -out $(WASM_DIST)

wasm-clean:
	find $(WASM_DIST) -mindepth 1 ! -name .gitkeep -delete

wasm-size: $(WASM_MANIFEST)
	@sed -n '/"files"/,$$p' $(WASM_MANIFEST)
