-- Reference for scenario 3 of `make bench` (pgbench -M prepared -D portal=…
-- -D payments=N): the SELECT of GET /v1/payments/{id} with a secret key,
-- payments.Get of a random pre-created payment. The key's lookup
-- (portals.Authenticate) is not here: the gateway caches a resolved key
-- for 10 s (portals.Cache), so under load it issues no lookup per request.
\set i random(1, :payments)
SELECT id, portal_id, livemode, service_code, agency_code, kind::text, reference, quote_id,
	coalesce(payer_name, ''), coalesce(payer_id_number, ''), coalesce(payer_tax_code, ''),
	amount, amount_refunded, amount_refund_pending, currency, description, status::text, payment_code, client_token,
	expires_at, return_url, metadata, failure_code, settled_provider, succeeded_at, canceled_at,
	created_at, updated_at
FROM payments WHERE id = 'pay_bnch' || lpad(:i::text, 16, '0') AND portal_id = :portal AND livemode = false;
