-- The provider's status of an issued wallet order is asked for when its
-- callback is overdue (gateway/requery); queried_at spreads the asking.
ALTER TABLE payment_attempts ADD COLUMN queried_at timestamptz;
CREATE INDEX payment_attempts_issued ON payment_attempts (created_at) WHERE outcome = 'issued';
