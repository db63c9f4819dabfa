-- Reference for scenario 1 of `make bench` (pgbench -M prepared -D portal=…
-- -D clearing=test:provider_clearing:momo -D beneficiary=test:beneficiary:KBNN-HN;
-- account ids are variables since pgbench reads ':word' even inside quotes):
-- the minimal settlement transaction, one payment at a time — insert the
-- payment, write a balanced journal entry of two postings (the
-- postings_balanced trigger wants both in one INSERT), mark it succeeded.
-- The gateway does more per callback (records the callback, writes the
-- portal event and its delivery job) but commits many at once.
\set n random(1, 999999999999999999)
BEGIN;
INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, amount,
                      payment_code, client_token, expires_at)
VALUES ('pay_pgb' || lpad(:n::text, 18, '0'), :portal, false, 'HT-KHAISINH', 'KBNN-HN', 'fee', 'HS-PGBENCH', 8000,
        'PGB' || :n, 'ct_pgb' || :n, now() + interval '1 day');
WITH je AS (
    INSERT INTO journal_entries (livemode, kind, payment_id, memo)
    VALUES (false, 'settlement', 'pay_pgb' || lpad(:n::text, 18, '0'), 'pgbench')
    RETURNING id
)
INSERT INTO postings (entry_id, account_id, amount)
SELECT je.id, v.account_id, v.amount
FROM je, (VALUES (:clearing, 8000), (:beneficiary, -8000)) AS v(account_id, amount);
UPDATE payments SET status = 'succeeded', succeeded_at = now(), settled_provider = 'momo', updated_at = now()
WHERE id = 'pay_pgb' || lpad(:n::text, 18, '0') AND status IN ('requires_payment_method', 'pending');
END;
