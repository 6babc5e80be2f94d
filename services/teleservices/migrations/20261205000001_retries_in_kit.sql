-- Retry keys now live in kit.retries, scoped to their caller: a key no longer has to be
-- unique across every caller of the city.
ALTER TABLE demands DROP COLUMN idempotency_key;
