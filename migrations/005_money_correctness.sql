-- Money correctness: a decline fails the attempt, not the payment; bank
-- transfers carry the time the bank booked them and the bank's own
-- reference, so the same transfer reported by two feeds is one callback;
-- and the gateway's runtime role may only append to the ledger.

-- The provider's last decline, shown to the portal while the payment stays
-- payable ({"provider","code","message"}).
ALTER TABLE payments ADD COLUMN last_attempt_error jsonb;

-- booked_at: when the bank booked the transfer (settlement checks it
-- against the payment's expiry, not the time the report reached us).
-- bank_account + bank_ref: the bank's identity of the transaction, the same
-- whichever feed (Casso, SePay) reports it.
ALTER TABLE provider_callbacks ADD COLUMN booked_at timestamptz;
ALTER TABLE provider_callbacks ADD COLUMN bank_account text;
ALTER TABLE provider_callbacks ADD COLUMN bank_ref text;
CREATE UNIQUE INDEX provider_callbacks_bank_txn ON provider_callbacks (provider, bank_account, bank_ref)
    WHERE bank_ref IS NOT NULL;

-- Every further report of a recorded transfer (another feed, another feed
-- transaction id), so an operator sees which feeds reported it.
CREATE TABLE callback_reports (
    provider        text NOT NULL,
    provider_txn_id text NOT NULL,
    callback_id     bigint NOT NULL REFERENCES provider_callbacks,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_txn_id)
);
CREATE INDEX callback_reports_callback ON callback_reports (callback_id);

-- The runtime role. Migrations run as the schema's owner; the gateway runs
-- as a login role that is a member of civicpay_runtime, which may read and
-- append to the ledger but never change or remove a line of it (nor
-- truncate it, nor disable its triggers, which only the owner may do).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'civicpay_runtime') THEN
        CREATE ROLE civicpay_runtime NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO civicpay_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO civicpay_runtime;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO civicpay_runtime;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO civicpay_runtime;
-- Tables later migrations create (River's too) get the same grants; a
-- migration that adds an append-only table revokes as below.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO civicpay_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO civicpay_runtime;
REVOKE UPDATE, DELETE, TRUNCATE ON journal_entries, postings, ledger_accounts FROM civicpay_runtime;
