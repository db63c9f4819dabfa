-- Refund states that cannot strand money.
--
-- amount_refunded counted pending reservations too, so a payment read
-- "refunded" while a refund was still pending, and a failed refund left it
-- so. The two amounts are now apart: amount_refunded is what providers
-- (or operators) confirmed paid back, amount_refund_pending what is
-- reserved for refunds still waiting for a final answer. The room left to
-- refund is amount - amount_refunded - amount_refund_pending.
ALTER TABLE payments
    ADD COLUMN amount_refund_pending numeric(20,0) NOT NULL DEFAULT 0 CHECK (amount_refund_pending >= 0);

UPDATE payments p
SET amount_refunded = r.succeeded,
    amount_refund_pending = r.pending,
    status = CASE WHEN r.succeeded = 0 THEN 'succeeded'
                  WHEN r.succeeded < p.amount THEN 'partially_refunded'
                  ELSE 'refunded' END::payment_status
FROM (
    SELECT payment_id,
           coalesce(sum(amount) FILTER (WHERE status = 'succeeded'), 0) AS succeeded,
           coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0) AS pending
    FROM refunds GROUP BY payment_id
) r
WHERE p.id = r.payment_id;

-- Never more out (or on its way out) than came in.
ALTER TABLE payments ADD CONSTRAINT payments_refunds_within_amount
    CHECK (amount_refunded + amount_refund_pending <= amount);

-- The status of a paid payment follows from what was paid back; a pending
-- refund does not change it. gateway/refunds derives it (moveAmountsSQL);
-- this constraint makes any other writer that disagrees fail loudly.
ALTER TABLE payments ADD CONSTRAINT payments_refund_status
    CHECK ((amount_refunded = 0 AND amount_refund_pending = 0 AND status NOT IN ('partially_refunded', 'refunded'))
        OR status = CASE WHEN amount_refunded = 0 THEN 'succeeded'
                         WHEN amount_refunded < amount THEN 'partially_refunded'
                         ELSE 'refunded' END::payment_status);

-- requested_at is set, and committed, before a refund is first sent to its
-- provider: a run that finds it set must ask the provider before sending
-- again. checks counts the provider queries, for their backoff.
-- failure_reason is an operator's words when failing a manual refund.
ALTER TABLE refunds
    ADD COLUMN requested_at timestamptz,
    ADD COLUMN checks integer NOT NULL DEFAULT 0 CHECK (checks >= 0),
    ADD COLUMN failure_reason text CHECK (length(failure_reason) <= 500);

-- Pending refunds are what workers and operators look for.
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';
