-- Retries of a filing (`Idempotency-Key`), the same in every silo: a key belongs to its
-- caller (an account, or every anonymous caller together) and to the request it first
-- came with, whose SHA-256 is kept, so a replay with another request is refused rather
-- than answered with someone else's demand. One row per keyed filing, written in the
-- filing's transaction: the primary key makes two concurrent retries file once.
CREATE TABLE kit.retries (
    scope           text        NOT NULL,
    key             text        NOT NULL,
    fingerprint     bytea       NOT NULL,
    tracking_number text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
