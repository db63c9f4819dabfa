-- Operating the gateway: admin keys with roles, an append-only audit log of
-- every admin action, agencies as a treasury collection point, portals that
-- can be switched off, API keys that roll with a grace period.

-- Admin keys (ak_…) are stored as SHA-256 hashes of high-entropy secrets,
-- as portal keys are. A key of an agency's staff acts for the agencies in
-- admin_key_agencies only; operator and support keys for every agency.
CREATE TABLE admin_keys (
    id           text PRIMARY KEY CHECK (id ~ '^akey_[A-Za-z0-9]{16}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN ('operator', 'agency_staff', 'support')),
    hint         text NOT NULL,
    hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    -- The key `civicpay admin bootstrap` made. At most one ever exists, so
    -- two bootstraps racing on an empty table cannot both succeed.
    bootstrap    boolean NOT NULL DEFAULT false,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX admin_keys_one_bootstrap ON admin_keys (bootstrap) WHERE bootstrap;

CREATE TABLE admin_key_agencies (
    key_id      text NOT NULL REFERENCES admin_keys ON DELETE CASCADE,
    agency_code text NOT NULL REFERENCES agencies,
    PRIMARY KEY (key_id, agency_code)
);

-- Who did what to which object, with the object before and after (secrets
-- redacted before they get here). Written in the transaction that makes
-- the change, so a change without its record cannot commit.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    key_id      text,
    role        text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    object_type text NOT NULL,
    object_id   text NOT NULL,
    agency_code text,
    request_id  text,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id DESC);
CREATE INDEX audit_log_agency ON audit_log (agency_code, id DESC) WHERE agency_code IS NOT NULL;

-- Append-only like the ledger: by trigger against the owner's mistakes,
-- by privilege against the gateway itself.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM civicpay_runtime;

-- Agencies: the English name, the State Treasury (KBNN) unit and budget
-- chapter where the agency is a treasury collection point, and whether it
-- may be paid at all.
ALTER TABLE agencies ADD COLUMN name_en text CHECK (length(name_en) BETWEEN 1 AND 200);
ALTER TABLE agencies ADD COLUMN kbnn_unit_code text CHECK (kbnn_unit_code ~ '^[0-9]{4}$');
ALTER TABLE agencies ADD COLUMN budget_chapter text CHECK (budget_chapter ~ '^[0-9]{3}$');
ALTER TABLE agencies ADD COLUMN active boolean NOT NULL DEFAULT true;

-- Portals can be switched off without losing their history.
ALTER TABLE portals ADD COLUMN active boolean NOT NULL DEFAULT true;

-- API keys: a rolled key keeps working until expires_at (the grace
-- period); last_used_at is written at most once per cache period.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN rolled_to text REFERENCES api_keys;
CREATE INDEX api_keys_portal ON api_keys (portal_id, created_at);

-- Webhook endpoints: several per portal and mode, each with the event
-- types it wants (empty: all) and its own secrets. During a rotation an
-- endpoint has two live secrets and every delivery carries a v1= for each;
-- the old one stops at expires_at. Secrets must be readable to sign, as
-- portals.webhook_secret is; they are never logged nor shown after creation.
CREATE TABLE webhook_endpoints (
    id          text PRIMARY KEY CHECK (id ~ '^we_[A-Za-z0-9]{16}$'),
    portal_id   text NOT NULL REFERENCES portals,
    livemode    boolean NOT NULL,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    event_types text[] NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_portal ON webhook_endpoints (portal_id, livemode) WHERE enabled;

CREATE TABLE webhook_secrets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id text NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    secret      text NOT NULL,
    hint        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);
CREATE INDEX webhook_secrets_endpoint ON webhook_secrets (endpoint_id);

-- Which endpoints an event reached, so a retry goes only to the others.
-- endpoint_id 'portal' is the portal's own webhook_url.
CREATE TABLE webhook_deliveries (
    event_id     text NOT NULL REFERENCES events ON DELETE CASCADE,
    endpoint_id  text NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, endpoint_id)
);

-- Providers' credentials per agency and mode, sealed with AES-256-GCM under
-- a data key per record, the data key wrapped under the master key (never
-- stored here; see gateway/credentials). hints holds the last four
-- characters of each field, which is all an answer ever shows.
CREATE TABLE provider_credentials (
    agency_code text NOT NULL REFERENCES agencies,
    livemode    boolean NOT NULL,
    provider    text NOT NULL CHECK (provider IN ('momo', 'vnpay', 'zalopay', 'casso', 'sepay')),
    base_url    text NOT NULL DEFAULT '',
    hints       jsonb NOT NULL,
    kek_id      text NOT NULL,
    wrapped_key bytea NOT NULL,
    nonce       bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_code, livemode, provider)
);
