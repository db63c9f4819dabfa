-- Settlement: provider callbacks, the double-entry ledger, portal events,
-- provider attempts and refunds.
--
-- Ledger amounts are numeric(20,0): whole đồng, chosen once for every account.
-- Sign convention: a posting's amount is positive for a debit and negative
-- for a credit, so every journal entry's postings sum to zero.

CREATE TABLE ledger_accounts (
    id       text PRIMARY KEY,
    livemode boolean NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('provider_clearing', 'beneficiary', 'provider_fees', 'fee_income', 'refunds_payable', 'suspense')),
    ref      text NOT NULL DEFAULT '',
    name     text NOT NULL,
    UNIQUE (livemode, kind, ref)
);

CREATE TABLE journal_entries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livemode   boolean NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('settlement', 'exception', 'refund')),
    payment_id text REFERENCES payments,
    callback_id bigint,
    refund_id  text,
    memo       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
-- A payment is settled at most once, whatever the application does.
CREATE UNIQUE INDEX journal_entries_one_settlement ON journal_entries (payment_id) WHERE kind = 'settlement';
CREATE INDEX journal_entries_payment ON journal_entries (payment_id);
CREATE INDEX journal_entries_created ON journal_entries (created_at);

CREATE TABLE postings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id   bigint NOT NULL REFERENCES journal_entries,
    account_id text NOT NULL REFERENCES ledger_accounts,
    amount     numeric(20,0) NOT NULL CHECK (amount <> 0)
);
CREATE INDEX postings_entry ON postings (entry_id);
CREATE INDEX postings_account ON postings (account_id);

-- Every INSERT statement into postings must balance per entry and give each
-- entry at least two postings. Since every statement balances, every entry's
-- postings sum to zero, however many statements wrote them; checking the
-- statement's transition table costs one aggregate, not one query per row.
CREATE FUNCTION postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT entry_id INTO bad FROM new_postings GROUP BY entry_id
    HAVING sum(amount) <> 0 OR count(*) < 2 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance', bad USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER postings_balanced AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION postings_balanced();

-- The ledger is append-only: corrections are new, reversing entries.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END $$;
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Every verified callback, kept raw. (provider, provider_txn_id) is the
-- dedupe key: a retried or duplicated callback finds its row and replays the
-- reply it got the first time.
CREATE TABLE provider_callbacks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider         text NOT NULL,
    provider_txn_id  text NOT NULL,
    payment_id       text REFERENCES payments,
    order_id         text,
    amount           numeric(20,0),
    succeeded        boolean NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('settled', 'failed', 'exception', 'ignored')),
    exception_reason text CHECK (exception_reason IN ('amount_mismatch', 'unknown_reference', 'payment_expired', 'payment_canceled', 'payment_failed', 'already_settled', 'account_mismatch', 'currency_mismatch')),
    review_status    text CHECK (review_status IN ('open', 'refunded', 'resolved')),
    raw              bytea NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, provider_txn_id),
    CHECK ((outcome = 'exception') = (exception_reason IS NOT NULL))
);
CREATE INDEX provider_callbacks_payment ON provider_callbacks (payment_id);
CREATE INDEX provider_callbacks_open_exceptions ON provider_callbacks (received_at) WHERE outcome = 'exception';

-- Events for portals, written in the same transaction as the change they
-- describe; River delivers them.
CREATE TABLE events (
    id              text PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9]{16,40}$'),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    portal_id       text NOT NULL REFERENCES portals,
    livemode        boolean NOT NULL,
    type            text NOT NULL,
    payment_id      text REFERENCES payments,
    data            json NOT NULL, -- json, not jsonb: delivered byte for byte as written
    delivery_status text NOT NULL DEFAULT 'pending' CHECK (delivery_status IN ('pending', 'delivered', 'dead', 'no_endpoint')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_portal ON events (portal_id, livemode, seq DESC);
CREATE INDEX events_payment ON events (payment_id);

-- Every try at a provider, so failover never creates a duplicate order: the
-- provider order id is derived from the payment id and the attempt number.
CREATE TABLE payment_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   text NOT NULL REFERENCES payments,
    attempt      integer NOT NULL CHECK (attempt > 0),
    provider     text NOT NULL,
    method       text NOT NULL,
    order_id     text NOT NULL UNIQUE,
    outcome      text NOT NULL CHECK (outcome IN ('pending', 'issued', 'failed', 'breaker_open', 'timeout')),
    latency_ms   integer,
    error        text,
    qr_payload   text,
    deeplink     text,
    pay_url      text,
    provider_ref text,
    fee          numeric(20,0) CHECK (fee >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id, attempt)
);

CREATE TABLE refunds (
    id           text PRIMARY KEY CHECK (id ~ '^re_[A-Za-z0-9]{16,40}$'),
    payment_id   text NOT NULL REFERENCES payments,
    portal_id    text NOT NULL REFERENCES portals,
    livemode     boolean NOT NULL,
    amount       numeric(20,0) NOT NULL CHECK (amount > 0),
    reason       text,
    status       text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider     text,
    provider_ref text,
    failure_code text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Status changes are announced on one channel, so any gateway instance can
-- push them to the widgets it serves (Server-Sent Events).
CREATE FUNCTION payments_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('payment_status', NEW.id || ':' || NEW.status::text);
    RETURN NULL;
END $$;
CREATE TRIGGER payments_notify_status AFTER UPDATE OF status ON payments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION payments_notify_status();
