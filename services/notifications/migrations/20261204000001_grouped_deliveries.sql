-- Entries one agent writes in a demand's timeline within a short window (a photo, then
-- a note, at one counter visit) reach the resident as one message: the delivery row
-- collects them until its time comes, and the delivery worker sends it then. Kept in
-- the database, so a restart loses nothing and still sends the message once.
ALTER TABLE deliveries
    -- The agent whose entries the message groups; NULL for a message sent alone.
    ADD COLUMN group_author TEXT,
    -- Until when further entries join the message (for e-mail and SMS, also when it is
    -- sent); NULL once the worker took it, or for a message sent alone.
    ADD COLUMN group_until  TIMESTAMPTZ,
    -- The grouped entries (`{"kind": "message", "text"}`, `{"kind": "status", …}`),
    -- rendered again into subject and body at each addition.
    ADD COLUMN entries      JSONB NOT NULL DEFAULT '[]',
    -- Every event whose entry is in the message, so an event is never grouped twice.
    ADD COLUMN event_ids    UUID[] NOT NULL DEFAULT '{}';

CREATE INDEX deliveries_open_groups
    ON deliveries (tracking_number, recipient, channel, group_author)
    WHERE group_until IS NOT NULL;
