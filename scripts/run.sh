#!/usr/bin/env bash
# Starts the sandbox providers and the gateway in the foreground for `make run`;
# Ctrl-C stops both. The database is already up, migrated and seeded.
set -euo pipefail
civicpay=$1 banksim=$2 addr=$3 sim_addr=$4
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

export CIVICPAY_PUBLIC_URL="${CIVICPAY_PUBLIC_URL:-http://$addr}"
# Receipts are signed with the key make run generated (civicpay receipts keygen).
export CIVICPAY_RECEIPT_KEY_FILE="${CIVICPAY_RECEIPT_KEY_FILE:-.data/receipt_key}"
# The demo portal page needs its own secret key, which only the seed saw.
if [ -z "${CIVICPAY_DEMO_KEY:-}" ] && [ -f .data/demo_key ]; then
  export CIVICPAY_DEMO_KEY="$(cat .data/demo_key)"
  export CIVICPAY_DEMO_WEBHOOK_SECRET="$(cat .data/demo_webhook_secret 2>/dev/null || true)"
fi
# Providers' live credentials are encrypted under a master key; a
# development one is made in .data/ (never commit or reuse it).
if [ -z "${CIVICPAY_MASTER_KEY_FILE:-}" ]; then
  "$civicpay" credentials keygen .data/master.key >/dev/null
  export CIVICPAY_MASTER_KEY_FILE="$PWD/.data/master.key"
fi
if [ -x "$banksim" ]; then
  "$banksim" --addr "$sim_addr" --gateway "$CIVICPAY_PUBLIC_URL" &
  pids+=($!)
  export CIVICPAY_SANDBOX_URL="${CIVICPAY_SANDBOX_URL:-http://$sim_addr}"
fi
"$civicpay" serve --addr "$addr" &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
cat <<MSG

  civicpay is running.
    demo portal     http://$addr/
    API             http://$addr/v1/   (OpenAPI: http://$addr/openapi.json, docs: http://$addr/docs)
    health          http://$addr/healthz   http://$addr/readyz
    sandbox banks   http://$sim_addr/
    demo API key    $(cat .data/demo_key 2>/dev/null || echo "see 'civicpay seed --demo'")
  Ctrl-C stops the gateway and the sandbox (PostgreSQL keeps running; 'make stop' stops it).

MSG
wait -n "${pids[@]}"
