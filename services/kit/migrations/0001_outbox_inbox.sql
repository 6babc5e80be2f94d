-- Transactional outbox: a state change and its event commit together; the relay
-- publishes rows in `seq` order and stamps `published_at` once the broker confirmed.
CREATE TABLE kit.outbox (
    seq          BIGSERIAL PRIMARY KEY,
    id           UUID NOT NULL UNIQUE,
    routing_key  TEXT NOT NULL,
    source       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    time         TIMESTAMPTZ NOT NULL,
    data         BYTEA NOT NULL,
    dataschema   TEXT NOT NULL,
    traceparent  TEXT,
    published_at TIMESTAMPTZ
);

CREATE INDEX outbox_pending ON kit.outbox (seq) WHERE published_at IS NULL;

-- Wake the relay as soon as a transaction that wrote an event commits.
CREATE FUNCTION kit.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kit_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON kit.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION kit.notify_outbox();

-- Idempotent consumers: an event id processed by a consumer is recorded in the same
-- transaction as its effects, so a second delivery changes nothing.
CREATE TABLE kit.inbox (
    consumer     TEXT NOT NULL,
    event_id     UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
