-- Settles a batch of verified callbacks in ONE statement (and so one round
-- trip and, with the caller's transaction, one commit for the whole batch).
-- It stays a hand-tuned file: one statement of data-modifying CTEs is what
-- makes the group commit one round trip.
--
-- Rules (docs/ARCHITECTURE.md, "Settlement rules"):
--   * every callback is resolved to its payment first (by our order or
--     payment id, else by the payment code in a transfer's content); at
--     most one callback per payment, and per bank transaction, acts in one
--     statement: the one received first (ord). The others come back as
--     deferred and the caller runs them again in the same transaction, so
--     they see what the first one did;
--   * a decline fails the attempt it names. Only when that attempt is the
--     payment's current one does the payment go back from pending to
--     requires_payment_method, or to failed at the $19th declined attempt;
--   * money settles an open payment whatever happened to earlier attempts,
--     if it was booked by expires_at; a bank transfer booked in time but
--     reported after the expiry sweep still settles within $18 of expiry;
--   * the fee posted is the one stored on the issued attempt.
--
-- Exactly-once comes from the database, not from the caller:
--   * a callback is recorded once: UNIQUE (provider, provider_txn_id) and,
--     for bank transfers, UNIQUE (provider, bank_account, bank_ref) whichever
--     feed reports it; a duplicate's INSERT ... ON CONFLICT DO NOTHING
--     returns no row;
--   * a payment moves once: the UPDATE requires an open status, and a racing
--     transaction re-checks that after the winner commits;
--   * a payment has one settlement entry: a partial unique index;
--   * every entry balances: a statement trigger on postings.
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::numeric[], $7::bool[], $8::text[], $9::numeric[], $10::bytea[],
                         $11::bool[], $12::bool[], $13::timestamptz[], $14::text[], $15::text[],
                         $16::text[], $17::bigint[])
        AS t(provider, txn_id, payment_id, payment_code, order_id,
             amount, succeeded, account, config_fee, raw,
             currency_ok, item_livemode, booked_at, bank_ref, result_code,
             message, ord)
),
resolved AS (
    SELECT i.*, p.id AS pid, p.status AS pstatus, p.amount AS pamount, p.livemode AS plivemode,
           p.expires_at, p.agency_code, a.account_number AS agency_account,
           att.attempt AS att_no, att.outcome AS att_outcome, att.fee AS att_fee, att.is_current,
           EXISTS (SELECT 1 FROM provider_callbacks c
                   WHERE c.provider = i.provider
                     AND (c.provider_txn_id = i.txn_id
                          OR (i.bank_ref IS NOT NULL AND c.bank_account = i.account AND c.bank_ref = i.bank_ref))) AS dup
    FROM input i
    LEFT JOIN payments p
           ON p.id = coalesce(i.payment_id, (SELECT q.id FROM payments q WHERE q.payment_code = i.payment_code))
    LEFT JOIN agencies a ON a.code = p.agency_code
    LEFT JOIN LATERAL (
        SELECT x.attempt, x.outcome, x.fee,
               NOT EXISTS (SELECT 1 FROM payment_attempts y WHERE y.payment_id = x.payment_id AND y.attempt > x.attempt) AS is_current
        FROM payment_attempts x
        WHERE x.payment_id = p.id
          AND (x.order_id = i.order_id OR (i.order_id IS NULL AND x.provider = i.provider AND x.outcome = 'issued'))
        ORDER BY x.attempt DESC LIMIT 1
    ) att ON true
),
ranked AS (
    SELECT r.*,
           (r.pid IS NULL OR row_number() OVER (PARTITION BY r.pid ORDER BY r.ord) = 1)
           AND (r.bank_ref IS NULL OR row_number() OVER (PARTITION BY r.provider, r.account, r.bank_ref ORDER BY r.ord) = 1) AS first,
           coalesce(r.booked_at, now()) <= r.expires_at AS in_time,
           r.pid IS NOT NULL AND r.plivemode = r.item_livemode AS ours
    FROM resolved r
),
acting AS (
    SELECT r.*,
           -- money that may settle its payment now
           r.succeeded AND r.ours AND r.currency_ok AND r.pamount = r.amount
               AND (r.account IS NULL OR r.account = r.agency_account)
               AND ((r.pstatus IN ('requires_payment_method', 'pending') AND r.in_time)
                    OR (r.pstatus = 'expired' AND r.booked_at IS NOT NULL AND r.booked_at <= r.expires_at
                        AND now() <= r.expires_at + $18::interval)) AS settles,
           -- a decline of an attempt still waiting for its answer
           NOT r.succeeded AND r.ours AND r.att_outcome IN ('issued', 'pending')
               AND r.pstatus IN ('requires_payment_method', 'pending') AS declines
    FROM ranked r
    WHERE r.first AND NOT r.dup
),
att_upd AS (
    UPDATE payment_attempts x
    SET outcome = 'failed', error = 'declined ' || coalesce(r.result_code, '') || ' ' || coalesce(r.message, ''), updated_at = now()
    FROM acting r
    WHERE r.declines AND x.payment_id = r.pid AND x.attempt = r.att_no AND x.outcome IN ('issued', 'pending')
    RETURNING x.payment_id
),
upd AS (
    UPDATE payments p
    SET status           = CASE WHEN r.succeeded THEN 'succeeded'::payment_status
                                WHEN (SELECT count(*) FROM provider_callbacks c WHERE c.payment_id = p.id AND c.outcome = 'failed') + 1 >= $19
                                    THEN 'failed'::payment_status
                                ELSE 'requires_payment_method'::payment_status END,
        succeeded_at     = CASE WHEN r.succeeded THEN now() END,
        failure_code     = CASE WHEN r.succeeded THEN NULL
                                WHEN (SELECT count(*) FROM provider_callbacks c WHERE c.payment_id = p.id AND c.outcome = 'failed') + 1 >= $19
                                    THEN 'too_many_failed_attempts' END,
        settled_provider = CASE WHEN r.succeeded THEN r.provider END,
        last_attempt_error = CASE WHEN r.succeeded THEN p.last_attempt_error
                                  ELSE jsonb_build_object('provider', r.provider, 'code', coalesce(r.result_code, ''), 'message', coalesce(r.message, '')) END,
        updated_at       = now()
    FROM acting r
    WHERE p.id = r.pid
      AND (r.settles OR (r.declines AND r.is_current AND p.status = 'pending'))
      AND (p.status IN ('requires_payment_method', 'pending') OR (r.settles AND p.status = 'expired'))
    RETURNING p.id, p.status
),
-- acting holds one callback per payment, so joining the UPDATE back on the
-- payment id gives each callback what the statement did for it alone.
classified AS (
    SELECT r.*, (u.id IS NOT NULL) AS moved, u.status AS new_status,
           CASE
               WHEN NOT r.succeeded OR u.id IS NOT NULL THEN NULL
               WHEN NOT r.ours THEN 'unknown_reference'
               WHEN NOT r.currency_ok THEN 'currency_mismatch'
               WHEN r.amount <> r.pamount THEN 'amount_mismatch'
               WHEN r.account IS NOT NULL AND r.account <> r.agency_account THEN 'account_mismatch'
               WHEN r.pstatus IN ('requires_payment_method', 'pending', 'expired') THEN 'payment_expired'
               WHEN r.pstatus = 'canceled' THEN 'payment_canceled'
               WHEN r.pstatus = 'failed' THEN 'payment_failed'
               ELSE 'already_settled'
           END AS reason
    FROM acting r LEFT JOIN upd u ON u.id = r.pid
),
cb AS (
    INSERT INTO provider_callbacks (provider, provider_txn_id, payment_id, order_id, amount, succeeded,
                                    outcome, exception_reason, review_status, raw,
                                    booked_at, bank_account, bank_ref)
    SELECT c.provider, c.txn_id, CASE WHEN c.ours THEN c.pid END, c.order_id, c.amount, c.succeeded,
           CASE WHEN c.succeeded AND c.moved THEN 'settled'
                WHEN c.succeeded THEN 'exception'
                WHEN c.declines THEN 'failed'
                ELSE 'ignored' END,
           c.reason, CASE WHEN c.reason IS NOT NULL THEN 'open' END, c.raw,
           c.booked_at, CASE WHEN c.bank_ref IS NOT NULL THEN c.account END, c.bank_ref
    FROM classified c
    ON CONFLICT DO NOTHING
    RETURNING id, provider, provider_txn_id, payment_id, outcome, exception_reason
),
je AS (
    INSERT INTO journal_entries (livemode, kind, payment_id, callback_id, memo)
    SELECT c.item_livemode, CASE WHEN k.outcome = 'settled' THEN 'settlement' ELSE 'exception' END,
           k.payment_id, k.id, k.provider || ' ' || k.provider_txn_id
    FROM cb k JOIN classified c ON c.provider = k.provider AND c.txn_id = k.provider_txn_id
    WHERE k.outcome IN ('settled', 'exception')
    RETURNING id, callback_id, kind, livemode
),
po AS (
    INSERT INTO postings (entry_id, account_id, amount)
    SELECT j.id, x.account_id, x.amount
    FROM je j
    JOIN cb k ON k.id = j.callback_id
    JOIN classified c ON c.provider = k.provider AND c.txn_id = k.provider_txn_id
    CROSS JOIN LATERAL (SELECT CASE WHEN j.livemode THEN 'live' ELSE 'test' END AS mode,
                               least(CASE WHEN c.amount = c.pamount THEN coalesce(c.att_fee, c.config_fee) ELSE c.config_fee END, c.amount) AS fee) m
    CROSS JOIN LATERAL (VALUES
        (m.mode || ':provider_clearing:' || c.provider, c.amount - m.fee),
        (m.mode || ':provider_fees:' || c.provider, m.fee),
        (CASE WHEN j.kind = 'settlement' THEN m.mode || ':beneficiary:' || c.agency_code ELSE m.mode || ':suspense' END, -c.amount)
    ) AS x(account_id, amount)
    WHERE x.amount <> 0
    RETURNING entry_id
)
SELECT i.provider, i.txn_id, k.outcome, k.exception_reason, k.payment_id,
       coalesce(c.moved, false), c.new_status::text, (r.first IS FALSE) AS deferred
FROM input i
LEFT JOIN ranked r ON r.provider = i.provider AND r.txn_id = i.txn_id
LEFT JOIN cb k ON k.provider = i.provider AND k.provider_txn_id = i.txn_id
LEFT JOIN classified c ON c.provider = i.provider AND c.txn_id = i.txn_id
