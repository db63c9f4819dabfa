-- Ledger accounts exist before any money moves, so the settlement statement
-- never has to create one on the hot path. Ids are readable and derivable:
-- <mode>:<kind>[:<ref>], mode being test or live.

INSERT INTO ledger_accounts (id, livemode, kind, ref, name)
SELECT m.mode || ':' || k.kind || ':' || p.provider, m.live, k.kind, p.provider, k.label || ' ' || p.provider
FROM (VALUES ('test', false), ('live', true)) AS m(mode, live)
CROSS JOIN (VALUES ('vietqr'), ('vnpay'), ('momo'), ('zalopay')) AS p(provider)
CROSS JOIN (VALUES ('provider_clearing', 'Clearing with'), ('provider_fees', 'Fees charged by')) AS k(kind, label);

INSERT INTO ledger_accounts (id, livemode, kind, ref, name)
SELECT m.mode || ':' || k.kind, m.live, k.kind, '', k.label
FROM (VALUES ('test', false), ('live', true)) AS m(mode, live)
CROSS JOIN (VALUES ('suspense', 'Suspense: money held for review'), ('fee_income', 'Fee income'), ('refunds_payable', 'Refunds payable')) AS k(kind, label);

CREATE FUNCTION agencies_ledger_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_accounts (id, livemode, kind, ref, name)
    SELECT m.mode || ':beneficiary:' || NEW.code, m.live, 'beneficiary', NEW.code, 'Owed to ' || NEW.name
    FROM (VALUES ('test', false), ('live', true)) AS m(mode, live)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER agencies_ledger_accounts AFTER INSERT ON agencies
    FOR EACH ROW EXECUTE FUNCTION agencies_ledger_accounts();
