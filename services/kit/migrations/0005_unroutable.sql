-- An event the broker returned because no queue takes its kind stays unpublished: the
-- relay sets it aside until `retry_after` and tries again, so it reaches its queue as
-- soon as one is declared, and operators can count what waits (`unroutable_count` > 0).
ALTER TABLE kit.outbox
    ADD COLUMN retry_after TIMESTAMPTZ,
    ADD COLUMN unroutable_count INTEGER NOT NULL DEFAULT 0;
