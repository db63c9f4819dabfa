# civicpay — `make run` and `make test` are the two commands that matter.
# Both bootstrap a private PostgreSQL in .data/ when DATABASE_URL is unset.

GO        ?= go
BIN       := bin
CIVICPAY  := $(BIN)/civicpay
BANKSIM   := $(BIN)/banksim
ADDR      ?= 127.0.0.1:8080
SIM_ADDR  ?= 127.0.0.1:8090

.PHONY: all build run test vet db stop bench chromium wrk axe clean fuzz lint-openapi

all: build

-include wasm/wasm.mk

build: $(if $(wildcard wasm/wasm.mk),wasm)
	$(GO) build -o $(CIVICPAY) ./cmd/civicpay
	$(if $(wildcard cmd/banksim/main.go),$(GO) build -o $(BANKSIM) ./cmd/banksim)

# db starts (or finds) the private cluster unless DATABASE_URL points elsewhere.
db: build
	@if [ -z "$$DATABASE_URL" ]; then $(CIVICPAY) devdb up; else echo "using DATABASE_URL"; fi

run: db
	@test -f .data/receipt_key || $(CIVICPAY) receipts keygen .data/receipt_key
	@$(CIVICPAY) migrate
	@$(CIVICPAY) seed --demo --if-empty --webhook-url http://$(ADDR)/demo/webhooks
	@./scripts/run.sh "$(CIVICPAY)" "$(BANKSIM)" "$(ADDR)" "$(SIM_ADDR)"

stop: build
	@$(CIVICPAY) devdb stop

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/widget/

test: db chromium wrk axe vet lint-openapi
	$(GO) test -race -count=1 ./...

# The OpenAPI document must pass Redocly's recommended rules with no
# warning: recommended-strict makes every warning an error. npx fetches
# the pinned CLI from npm on first use (node 20+ is needed).
REDOCLY ?= @redocly/cli@2.77.0
lint-openapi:
	@command -v npx >/dev/null 2>&1 || { echo "npx is missing: install Node.js 20+ to lint the OpenAPI document"; exit 1; }
	npx --yes $(REDOCLY) lint --extends=recommended-strict gateway/api/openapi.yaml

# Browser tests drive Debian's chromium; install it when missing (root or sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "chromium is missing: run 'apt-get install chromium' as root"; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# axe-core for the widget's accessibility checks in the browser tests
# (wasm/browsertest reads $(AXE_MIN_JS); without it they skip, unless CI is
# set). Kept in .data/, which git ignores; installed once.
AXE_VERSION ?= 4.14
AXE_MIN_JS  := .data/npm/node_modules/axe-core/axe.min.js
axe: $(AXE_MIN_JS)
$(AXE_MIN_JS):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm for axe-core"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "npm is missing: run 'apt-get install npm' as root (the accessibility tests need axe-core)"; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm || \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }; }
	npm install --no-save --no-audit --no-fund --prefix .data/npm axe-core@$(AXE_VERSION)

bench: db wrk
	$(GO) run ./bench $(BENCH_FLAGS)

# The bench's HTTP load generator (scenarios 2–3); without it the bench
# falls back to vegeta, so a failed install is only a warning.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for make bench"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "wrk is missing (apt-get install wrk as root); the bench will use vegeta"; exit 0; fi; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk || \
	    { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	      $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }; } || \
	  echo "could not install wrk; the bench will use vegeta"; }

fuzz:
	CIVICPAY_MODEL_STEPS=5000 $(GO) test -count=1 -run '^TestMoneyModel$$' -v ./gateway/settlement/
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=20s $$pkg || exit 1; done; done

clean:
	rm -rf $(BIN)
