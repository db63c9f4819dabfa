-- Electronic receipts (biên lai điện tử) for succeeded payments: gateway/receipts.
-- A receipt is issued in the transaction that settles its payment, its
-- number taken from a counter row per (agency, series, year) in that same
-- transaction, so a number is used exactly when its receipt commits: no
-- gap, no reuse. Receipts and their adjustments are append-only, like the
-- ledger: a refund adds an adjustment, it never edits a receipt.

-- What a receipt must name about the collecting agency (Decree 123/2020).
ALTER TABLE agencies
    ADD COLUMN address  text CHECK (length(address) BETWEEN 1 AND 300),
    ADD COLUMN tax_code text CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$');

-- The signing keys' public halves, so every receipt stays verifiable after
-- its key is rotated out (or an ephemeral key's process is gone).
CREATE TABLE receipt_keys (
    key_id     text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    ephemeral  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used  timestamptz NOT NULL DEFAULT now()
);

-- last is the last number issued in the series; a settlement that issues n
-- receipts adds n and takes last-n+1 … last.
CREATE TABLE receipt_counters (
    agency_code text NOT NULL REFERENCES agencies,
    series      text NOT NULL,
    year        smallint NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    last        bigint NOT NULL CHECK (last >= 0),
    PRIMARY KEY (agency_code, series, year)
);

CREATE TABLE receipts (
    id          text PRIMARY KEY CHECK (id ~ '^rcp_[A-Za-z0-9]{16,40}$'),
    payment_id  text NOT NULL UNIQUE REFERENCES payments,
    portal_id   text NOT NULL REFERENCES portals,
    livemode    boolean NOT NULL,
    agency_code text NOT NULL REFERENCES agencies,
    form        text NOT NULL,
    series      text NOT NULL,
    year        smallint NOT NULL,
    number      bigint NOT NULL CHECK (number >= 1),
    amount      numeric(20,0) NOT NULL CHECK (amount > 0),
    -- The signed bytes themselves (docs/RECEIPTS.md); everything a receipt
    -- shows is read from them, so what is shown is what was signed.
    canonical   text NOT NULL,
    signature   text NOT NULL,
    key_id      text NOT NULL REFERENCES receipt_keys,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_code, series, year, number)
);
CREATE INDEX receipts_number ON receipts (series, number);

CREATE TABLE receipt_adjustments (
    id          text PRIMARY KEY CHECK (id ~ '^adj_[A-Za-z0-9]{16,40}$'),
    receipt_id  text NOT NULL REFERENCES receipts,
    refund_id   text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('adjustment', 'cancellation')),
    amount      numeric(20,0) NOT NULL CHECK (amount > 0),
    canonical   text NOT NULL,
    signature   text NOT NULL,
    key_id      text NOT NULL REFERENCES receipt_keys,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_adjustments_receipt ON receipt_adjustments (receipt_id);

CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER receipt_adjustments_append_only BEFORE UPDATE OR DELETE ON receipt_adjustments
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER receipt_adjustments_no_truncate BEFORE TRUNCATE ON receipt_adjustments
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON receipts, receipt_adjustments FROM civicpay_runtime;
-- A counter only ever grows; removing its row would reuse numbers.
REVOKE DELETE, TRUNCATE ON receipt_counters FROM civicpay_runtime;

-- Demo agencies get a made-up address and tax code (gateway/demo fills new ones).
UPDATE agencies SET address = 'Địa chỉ demo, ' || name, tax_code = '0100' || lpad((abs(hashtext(code)) % 1000000)::text, 6, '0')
WHERE demo AND address IS NULL;
