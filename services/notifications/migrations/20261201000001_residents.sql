-- Live feeds: every item gets an increasing position (the SSE event id agents resume
-- after), and its commit wakes every replica's streams through LISTEN/NOTIFY.
ALTER TABLE feed_items ADD COLUMN seq BIGSERIAL;
CREATE UNIQUE INDEX feed_items_seq ON feed_items (seq);

CREATE FUNCTION notify_feed_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, never for a rolled-back item.
    PERFORM pg_notify('feed_items', NEW.seq::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER feed_items_notify AFTER INSERT ON feed_items
    FOR EACH ROW EXECUTE FUNCTION notify_feed_item();

-- Items an agent marked read.
CREATE TABLE feed_reads (
    agent_id TEXT NOT NULL,
    item_id  UUID NOT NULL REFERENCES feed_items (id) ON DELETE CASCADE,
    read_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agent_id, item_id)
);

-- What the service knows of each demand from its events: whom to tell, and what to
-- aggregate ratings under.
CREATE TABLE demands (
    tracking_number TEXT PRIMARY KEY,
    kind            TEXT NOT NULL DEFAULT '',
    department      TEXT NOT NULL DEFAULT '',
    theme           TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    teleservice     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'submitted',
    -- The resident's account, from the filing or a later claim.
    account_id      TEXT,
    -- Contact left by a resident without account (erased with the account or demand).
    contact_email   TEXT NOT NULL DEFAULT '',
    contact_phone   TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX demands_account ON demands (account_id);

-- Accounts' contact as the identity service last gave it.
CREATE TABLE accounts (
    account_id         TEXT PRIMARY KEY,
    email              TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    -- The profile's `preferred_channels`, the default for topics without a preference.
    preferred_channels TEXT[],
    updated_at         TIMESTAMPTZ NOT NULL
);

-- Which channels tell a resident about a topic (`status.resolved`).
CREATE TABLE preferences (
    account_id TEXT NOT NULL,
    topic      TEXT NOT NULL,
    channels   TEXT[] NOT NULL,
    PRIMARY KEY (account_id, topic)
);

-- Messages in the resident's space (the `app` channel).
CREATE TABLE messages (
    id              UUID PRIMARY KEY,
    event_id        UUID NOT NULL,
    account_id      TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, account_id)
);
CREATE INDEX messages_account ON messages (account_id, at DESC);

-- One message to send per event, recipient and channel: the unique key means a
-- redelivered event or a restarted consumer never queues a second copy.
CREATE TABLE deliveries (
    id              UUID PRIMARY KEY,
    event_id        UUID NOT NULL,
    event_type      TEXT NOT NULL,
    tracking_number TEXT NOT NULL DEFAULT '',
    account_id      TEXT,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- `pending`, `sent`, `failed` (for good).
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    UNIQUE (event_id, recipient, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_tracking ON deliveries (tracking_number, created_at);

CREATE FUNCTION notify_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('deliveries', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notify_delivery();

-- Residents invited to rate a resolved or closed demand, and their one rating.
CREATE TABLE rating_invitations (
    tracking_number TEXT PRIMARY KEY,
    invited_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE ratings (
    tracking_number TEXT PRIMARY KEY,
    score           SMALLINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    account_id      TEXT,
    kind            TEXT NOT NULL,
    department      TEXT NOT NULL,
    teleservice     TEXT NOT NULL DEFAULT '',
    teleservice_label TEXT NOT NULL DEFAULT '',
    at              TIMESTAMPTZ NOT NULL
);

-- Institutional announcements.
CREATE TABLE announcements (
    id           UUID PRIMARY KEY,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    audience     TEXT NOT NULL,
    channels     TEXT[] NOT NULL,
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_until  TIMESTAMPTZ NOT NULL,
    author_id    TEXT NOT NULL,
    author_name  TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (valid_until > valid_from)
);
CREATE INDEX announcements_validity ON announcements (valid_until, valid_from);
