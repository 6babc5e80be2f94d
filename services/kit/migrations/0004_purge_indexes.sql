-- The relay's idle purges delete by age: without these indexes each one scans its whole
-- table while filings write to it.
CREATE INDEX outbox_published_at ON kit.outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_processed_at ON kit.inbox (processed_at);
