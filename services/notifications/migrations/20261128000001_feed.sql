-- Agent feed: one item per event and department concerned.
CREATE TABLE feed_items (
    id              UUID PRIMARY KEY,
    event_id        UUID NOT NULL,
    department      TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    kind            TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    title           TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, department)
);

CREATE INDEX feed_items_department ON feed_items (department, at DESC);
