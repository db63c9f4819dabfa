-- Settles a batch of verified callbacks in ONE statement (and so one round
-- trip and, with the caller's transaction, one commit for the whole batch).
-- The caller guarantees each payment and each (provider, txn_id) appears at
-- most once per batch.
--
-- Exactly-once comes from the database, not from the caller:
--   * a callback is recorded once: UNIQUE (provider, provider_txn_id), and a
--     duplicate's INSERT ... ON CONFLICT DO NOTHING returns no row;
--   * a payment moves once: the UPDATE requires an open status, and a racing
--     transaction re-checks that after the winner commits;
--   * a payment has one settlement entry: a partial unique index;
--   * every entry balances: a statement trigger on postings.
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::numeric[], $7::bool[], $8::text[], $9::numeric[], $10::bytea[],
                         $11::bool[], $12::bool[])
        AS t(provider, txn_id, payment_id, payment_code, order_id,
             amount, succeeded, account, fee, raw,
             currency_ok, item_livemode)
),
resolved AS (
    SELECT i.*, p.id AS pid, p.status AS pstatus, p.amount AS pamount, p.livemode AS plivemode,
           p.agency_code, a.account_number AS agency_account
    FROM input i
    LEFT JOIN payments p
           ON p.id = coalesce(i.payment_id, (SELECT q.id FROM payments q WHERE q.payment_code = i.payment_code))
    LEFT JOIN agencies a ON a.code = p.agency_code
),
upd AS (
    UPDATE payments p
    SET status           = CASE WHEN r.succeeded THEN 'succeeded'::payment_status ELSE 'failed'::payment_status END,
        succeeded_at     = CASE WHEN r.succeeded THEN now() END,
        failure_code     = CASE WHEN r.succeeded THEN NULL ELSE 'provider_declined' END,
        settled_provider = r.provider,
        updated_at       = now()
    FROM resolved r
    WHERE p.id = r.pid
      AND p.status IN ('requires_payment_method', 'pending')
      AND p.livemode = r.item_livemode
      AND r.currency_ok
      AND (NOT r.succeeded OR (p.amount = r.amount AND (r.account IS NULL OR r.account = r.agency_account)))
      AND NOT EXISTS (SELECT 1 FROM provider_callbacks c WHERE c.provider = r.provider AND c.provider_txn_id = r.txn_id)
    RETURNING p.id
),
classified AS (
    SELECT r.*, (u.id IS NOT NULL) AS moved,
           CASE
               WHEN u.id IS NOT NULL OR NOT r.succeeded THEN NULL
               WHEN r.pid IS NULL OR r.plivemode <> r.item_livemode THEN 'unknown_reference'
               WHEN NOT r.currency_ok THEN 'currency_mismatch'
               WHEN r.amount <> r.pamount THEN 'amount_mismatch'
               WHEN r.account IS NOT NULL AND r.account <> r.agency_account THEN 'account_mismatch'
               WHEN r.pstatus = 'expired' THEN 'payment_expired'
               WHEN r.pstatus = 'canceled' THEN 'payment_canceled'
               WHEN r.pstatus = 'failed' THEN 'payment_failed'
               ELSE 'already_settled'
           END AS reason
    FROM resolved r LEFT JOIN upd u ON u.id = r.pid
),
cb AS (
    INSERT INTO provider_callbacks (provider, provider_txn_id, payment_id, order_id, amount, succeeded,
                                    outcome, exception_reason, review_status, raw)
    SELECT c.provider, c.txn_id, CASE WHEN c.plivemode = c.item_livemode THEN c.pid END, c.order_id, c.amount, c.succeeded,
           CASE WHEN c.moved AND c.succeeded THEN 'settled'
                WHEN c.moved THEN 'failed'
                WHEN NOT c.succeeded THEN 'ignored'
                ELSE 'exception' END,
           c.reason, CASE WHEN c.reason IS NOT NULL THEN 'open' END, c.raw
    FROM classified c
    ON CONFLICT (provider, provider_txn_id) DO NOTHING
    RETURNING id, provider, provider_txn_id, payment_id, outcome, exception_reason
),
je AS (
    INSERT INTO journal_entries (livemode, kind, payment_id, callback_id, memo)
    SELECT c.item_livemode, CASE WHEN k.outcome = 'settled' THEN 'settlement' ELSE 'exception' END,
           k.payment_id, k.id, k.provider || ' ' || k.provider_txn_id
    FROM cb k JOIN classified c ON c.provider = k.provider AND c.txn_id = k.provider_txn_id
    WHERE c.succeeded AND k.outcome IN ('settled', 'exception')
    RETURNING id, callback_id, kind, livemode
),
po AS (
    INSERT INTO postings (entry_id, account_id, amount)
    SELECT j.id, x.account_id, x.amount
    FROM je j
    JOIN cb k ON k.id = j.callback_id
    JOIN classified c ON c.provider = k.provider AND c.txn_id = k.provider_txn_id
    CROSS JOIN LATERAL (SELECT CASE WHEN j.livemode THEN 'live' ELSE 'test' END AS mode) m
    CROSS JOIN LATERAL (VALUES
        (m.mode || ':provider_clearing:' || c.provider, c.amount - c.fee),
        (m.mode || ':provider_fees:' || c.provider, c.fee),
        (CASE WHEN j.kind = 'settlement' THEN m.mode || ':beneficiary:' || c.agency_code ELSE m.mode || ':suspense' END, -c.amount)
    ) AS x(account_id, amount)
    WHERE x.amount <> 0
    RETURNING entry_id
)
SELECT i.provider, i.txn_id, k.outcome, k.exception_reason, k.payment_id, coalesce(c.moved, false)
FROM input i
LEFT JOIN cb k ON k.provider = i.provider AND k.provider_txn_id = i.txn_id
LEFT JOIN classified c ON c.provider = i.provider AND c.txn_id = i.txn_id
