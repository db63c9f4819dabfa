-- Reference for scenario 2 of `make bench` (pgbench -M prepared -D portal=…
-- -D reqhash=… -D body=…): the statements POST /v1/payments issues, in its
-- transaction. Mirrors idempotency.Claim/Finish, catalog.GetService and
-- payments.insert. The key's lookup is not here: the gateway caches a
-- resolved key for 10 s (portals.Cache), so under load it issues none per
-- request.
\set n random(1, 999999999999999999)
BEGIN;
INSERT INTO idempotency_keys (portal_id, livemode, key, method, path, request_hash, status, response_body)
VALUES (:portal, false, 'pgb-' || :n, 'POST', '/v1/payments', :reqhash, 0, '')
ON CONFLICT DO NOTHING;
SELECT code, agency_code, kind::text, name_vi, name_en, amount_rule, fixed_amount, min_amount, max_amount, coalesce(computed_rule, '')
FROM services WHERE code = 'HT-KHAISINH';
INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, quote_id,
	payer_name, payer_id_number, payer_tax_code, amount, description, payment_code, client_token,
	expires_at, return_url, metadata)
VALUES ('pay_pgc' || lpad(:n::text, 18, '0'), :portal, false, 'HT-KHAISINH', 'KBNN-HN', 'fee', 'HS-PGBENCH-' || :n, NULL,
	'Nguyen Van An', nullif('001099012345', ''), nullif('', ''), 8000, NULL, 'PGC' || :n, 'ct_pgc' || :n,
	now() + interval '1 day', NULL, '{}')
RETURNING id, portal_id, livemode, service_code, agency_code, kind::text, reference, quote_id,
	coalesce(payer_name, ''), coalesce(payer_id_number, ''), coalesce(payer_tax_code, ''),
	amount, amount_refunded, amount_refund_pending, currency, description, status::text, payment_code, client_token,
	expires_at, return_url, metadata, failure_code, settled_provider, succeeded_at, canceled_at,
	created_at, updated_at;
UPDATE idempotency_keys SET status = 201, response_body = :body
WHERE portal_id = :portal AND livemode = false AND key = 'pgb-' || :n;
END;
