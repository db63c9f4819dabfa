-- Catalogue (agencies, services), API clients (portals, keys) and payments.
-- Money is numeric(20,0): whole đồng, VND has no minor unit. Never float.

CREATE TABLE agencies (
    code           text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    province_code  text CHECK (province_code ~ '^[0-9]{2}$'),
    bank_bin       text NOT NULL CHECK (bank_bin ~ '^[0-9]{6}$'),
    bank_name      text NOT NULL,
    account_number text NOT NULL CHECK (account_number ~ '^[A-Za-z0-9]{1,19}$'),
    account_name   text NOT NULL CHECK (account_name ~ '^[A-Z0-9 .,-]{1,70}$'),
    demo           boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE payment_kind AS ENUM ('fee', 'charge', 'tax', 'fine', 'insurance');

CREATE TABLE services (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'),
    agency_code   text NOT NULL REFERENCES agencies,
    kind          payment_kind NOT NULL,
    name_vi       text NOT NULL,
    name_en       text NOT NULL,
    amount_rule   text NOT NULL CHECK (amount_rule IN ('fixed', 'payer_declared', 'computed')),
    fixed_amount  numeric(20,0) CHECK (fixed_amount > 0),
    min_amount    numeric(20,0) CHECK (min_amount > 0),
    max_amount    numeric(20,0) CHECK (max_amount > 0),
    computed_rule text CHECK (computed_rule IN ('tax_late_interest', 'social_insurance')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((amount_rule = 'fixed') = (fixed_amount IS NOT NULL)),
    CHECK ((amount_rule = 'computed') = (computed_rule IS NOT NULL)),
    CHECK (amount_rule <> 'payer_declared' OR (min_amount IS NOT NULL AND max_amount IS NOT NULL AND min_amount <= max_amount))
);
CREATE INDEX services_agency ON services (agency_code);

CREATE TABLE portals (
    id             text PRIMARY KEY CHECK (id ~ '^por_[A-Za-z0-9]{8,40}$'),
    name           text NOT NULL,
    webhook_url    text,
    -- The signing secret must be readable to sign webhooks; it is never logged
    -- and never returned after creation.
    webhook_secret text NOT NULL,
    rate_per_minute integer NOT NULL DEFAULT 1200 CHECK (rate_per_minute > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portal_agencies (
    portal_id   text NOT NULL REFERENCES portals ON DELETE CASCADE,
    agency_code text NOT NULL REFERENCES agencies,
    PRIMARY KEY (portal_id, agency_code)
);

-- API keys are stored as SHA-256 hashes of high-entropy random secrets, so a
-- leaked table does not leak keys; the clear key is shown once at creation.
CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    portal_id  text NOT NULL REFERENCES portals ON DELETE CASCADE,
    livemode   boolean NOT NULL,
    hint       text NOT NULL,
    hash       bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TYPE payment_status AS ENUM (
    'requires_payment_method', 'pending', 'succeeded', 'failed', 'expired', 'canceled',
    'refunded', 'partially_refunded');

CREATE TABLE quotes (
    id           text PRIMARY KEY CHECK (id ~ '^quo_[A-Za-z0-9]{16,40}$'),
    portal_id    text NOT NULL REFERENCES portals,
    livemode     boolean NOT NULL,
    service_code text NOT NULL REFERENCES services,
    rule         text NOT NULL,
    inputs       jsonb NOT NULL,
    lines        jsonb NOT NULL,
    total        numeric(20,0) NOT NULL CHECK (total > 0),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
    id              text PRIMARY KEY CHECK (id ~ '^pay_[A-Za-z0-9]{16,40}$'),
    portal_id       text NOT NULL REFERENCES portals,
    livemode        boolean NOT NULL,
    service_code    text NOT NULL REFERENCES services,
    agency_code     text NOT NULL REFERENCES agencies,
    kind            payment_kind NOT NULL,
    reference       text NOT NULL,
    quote_id        text UNIQUE REFERENCES quotes,
    payer_name      text,
    payer_id_number text,
    payer_tax_code  text,
    amount          numeric(20,0) NOT NULL CHECK (amount > 0),
    amount_refunded numeric(20,0) NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    currency        text NOT NULL DEFAULT 'VND' CHECK (currency = 'VND'),
    description     text,
    status          payment_status NOT NULL DEFAULT 'requires_payment_method',
    -- The short code the payer's bank transfer content must carry (VietQR 62.08).
    payment_code    text NOT NULL UNIQUE,
    client_token    text NOT NULL UNIQUE,
    expires_at      timestamptz NOT NULL,
    return_url      text,
    metadata        jsonb NOT NULL DEFAULT '{}',
    failure_code    text,
    settled_provider text,
    succeeded_at    timestamptz,
    canceled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination: newest first, ties broken by id.
CREATE INDEX payments_list ON payments (portal_id, livemode, created_at DESC, id DESC);
CREATE INDEX payments_open_expiry ON payments (expires_at) WHERE status IN ('requires_payment_method', 'pending');

-- Idempotency: the row is inserted in the same transaction as the work, so a
-- concurrent request with the same key waits on the row lock and then replays.
CREATE TABLE idempotency_keys (
    portal_id     text NOT NULL REFERENCES portals ON DELETE CASCADE,
    livemode      boolean NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method        text NOT NULL,
    path          text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer NOT NULL,
    response_body bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, livemode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Contribution rates are configuration with effective dates, not constants in code.
CREATE TABLE insurance_rates (
    fund           text NOT NULL CHECK (fund IN ('social', 'occupational_accident', 'health', 'unemployment')),
    party          text NOT NULL CHECK (party IN ('employer', 'employee')),
    rate           numeric(9,6) NOT NULL CHECK (rate >= 0 AND rate < 1),
    effective_from date NOT NULL,
    PRIMARY KEY (fund, party, effective_from)
);

-- Monthly salary caps per fund (SI/HI: 20 × base salary; UI: 20 × regional minimum wage).
CREATE TABLE insurance_salary_caps (
    fund           text NOT NULL CHECK (fund IN ('social', 'occupational_accident', 'health', 'unemployment')),
    region         smallint NOT NULL DEFAULT 0 CHECK (region BETWEEN 0 AND 4),
    cap            numeric(20,0) NOT NULL CHECK (cap > 0),
    effective_from date NOT NULL,
    PRIMARY KEY (fund, region, effective_from)
);

INSERT INTO insurance_rates (fund, party, rate, effective_from) VALUES
    ('social',                'employer', 0.170000, '2016-06-01'),
    ('occupational_accident', 'employer', 0.005000, '2016-06-01'),
    ('health',                'employer', 0.030000, '2016-06-01'),
    ('unemployment',          'employer', 0.010000, '2016-06-01'),
    ('social',                'employee', 0.080000, '2016-06-01'),
    ('health',                'employee', 0.015000, '2016-06-01'),
    ('unemployment',          'employee', 0.010000, '2016-06-01');

-- Base salary 2,340,000 from 2024-07-01 (Decree 73/2024) → 46,800,000;
-- regional minimum wages from 2024-07-01 (Decree 74/2024) × 20 for UI.
INSERT INTO insurance_salary_caps (fund, region, cap, effective_from) VALUES
    ('social',                0, 46800000, '2024-07-01'),
    ('occupational_accident', 0, 46800000, '2024-07-01'),
    ('health',                0, 46800000, '2024-07-01'),
    ('unemployment',          1, 99200000, '2024-07-01'),
    ('unemployment',          2, 88200000, '2024-07-01'),
    ('unemployment',          3, 77200000, '2024-07-01'),
    ('unemployment',          4, 69000000, '2024-07-01');
