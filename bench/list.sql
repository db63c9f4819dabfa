-- Reference for scenario 3 of `make bench` (pgbench -M prepared -D portal=…):
-- the SELECT of GET /v1/payments?limit=20, the first page of payments.List
-- (the filters the request leaves out are NULL, as the gateway binds
-- them). The key's lookup is not here: the gateway caches a resolved key
-- for 10 s (portals.Cache), so under load it issues no lookup per request.
WITH cursor AS (
	SELECT created_at, id FROM payments WHERE id = NULL::text AND portal_id = :portal AND livemode = false
)
SELECT id, portal_id, livemode, service_code, agency_code, kind::text, reference, quote_id,
	coalesce(payer_name, ''), coalesce(payer_id_number, ''), coalesce(payer_tax_code, ''),
	amount, amount_refunded, amount_refund_pending, currency, description, status::text, payment_code, client_token,
	expires_at, return_url, metadata, failure_code, settled_provider, succeeded_at, canceled_at,
	created_at, updated_at
FROM payments
WHERE portal_id = :portal AND livemode = false
  AND (NULL::payment_status IS NULL OR status = NULL::payment_status)
  AND (NULL::text IS NULL OR agency_code = NULL::text)
  AND (NULL::payment_kind IS NULL OR kind = NULL::payment_kind)
  AND (NULL::timestamptz IS NULL OR created_at >= NULL::timestamptz)
  AND (NULL::timestamptz IS NULL OR created_at < NULL::timestamptz)
  AND (NULL::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM cursor))
ORDER BY created_at DESC, id DESC
LIMIT 21;
