-- Reference for scenario 3 of `make bench` (pgbench -M prepared -D portal=…
-- -D keyhash=… -D payments=N): the SELECTs of GET /v1/payments/{id} with a
-- secret key — portals.Authenticate, then payments.Get of a random
-- pre-created payment.
\set i random(1, :payments)
SELECT k.portal_id, k.livemode, p.rate_per_minute,
       coalesce((SELECT array_agg(agency_code) FROM portal_agencies WHERE portal_id = k.portal_id), '{}')
FROM api_keys k JOIN portals p ON p.id = k.portal_id
WHERE k.hash = :keyhash AND k.revoked_at IS NULL;
SELECT id, portal_id, livemode, service_code, agency_code, kind::text, reference, quote_id,
	coalesce(payer_name, ''), coalesce(payer_id_number, ''), coalesce(payer_tax_code, ''),
	amount, amount_refunded, currency, description, status::text, payment_code, client_token,
	expires_at, return_url, metadata, failure_code, settled_provider, succeeded_at, canceled_at,
	created_at, updated_at
FROM payments WHERE id = 'pay_bnch' || lpad(:i::text, 16, '0') AND portal_id = :portal AND livemode = false;
