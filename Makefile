# civicpay — `make run` and `make test` are the two commands that matter.
# Both bootstrap a private PostgreSQL in .data/ when DATABASE_URL is unset.

GO        ?= go
BIN       := bin
CIVICPAY  := $(BIN)/civicpay
BANKSIM   := $(BIN)/banksim
ADDR      ?= 127.0.0.1:8080
SIM_ADDR  ?= 127.0.0.1:8090

.PHONY: all build run test vet db stop bench chromium wrk clean fuzz

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

test: db chromium wrk vet
	$(GO) test -race -count=1 ./...

# Browser tests drive Debian's chromium; install it when missing (root or sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "chromium is missing: run 'apt-get install chromium' as root"; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

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
