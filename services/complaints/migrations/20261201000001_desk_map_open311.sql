-- Issue 5: photos, followers ("me too"), merges, reassignment, the public map and
-- Open311 API keys.

-- When anything about the complaint last changed (Open311 `updated_datetime`).
ALTER TABLE complaints
    ADD COLUMN updated_at TIMESTAMPTZ,
    -- Set when an agent merged this complaint into another (closed as a duplicate).
    ADD COLUMN merged_into UUID REFERENCES complaints (id),
    -- The Open311 client (API key label) a complaint came through, if any.
    ADD COLUMN open311_client TEXT;
UPDATE complaints SET updated_at = created_at;
ALTER TABLE complaints ALTER COLUMN updated_at SET NOT NULL;

-- The map and duplicate checks: a bounding box on open complaints, then an exact
-- great-circle distance on the few rows inside it. Plain btree, no extension needed.
CREATE INDEX complaints_open_position ON complaints (latitude, longitude)
    WHERE latitude IS NOT NULL AND status NOT IN ('resolved', 'rejected', 'closed');
CREATE INDEX complaints_open_category_position ON complaints (category, latitude, longitude)
    WHERE latitude IS NOT NULL AND status NOT IN ('resolved', 'rejected', 'closed');
-- Supervisors' overdue list.
CREATE INDEX complaints_open_due ON complaints (due_at)
    WHERE status NOT IN ('resolved', 'rejected', 'closed');
-- Open311 lists by filing date.
CREATE INDEX complaints_created ON complaints (created_at DESC);
-- The desk search by the contact left without an account.
CREATE INDEX complaints_contact_email ON complaints (lower(contact_email)) WHERE contact_email <> '';
CREATE INDEX complaints_contact_phone
    ON complaints ((regexp_replace(regexp_replace(contact_phone, '[ .-]', '', 'g'), '^(\+33|0033)', '0')))
    WHERE contact_phone <> '';

CREATE TABLE photos (
    id           UUID PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    mime_type    TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BYTEA NOT NULL,
    channel      TEXT NOT NULL,
    added_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX photos_complaint ON photos (complaint_id, added_at);

-- Residents who said "me too": an account, or the contact they left.
CREATE TABLE followers (
    id            UUID PRIMARY KEY,
    complaint_id  UUID NOT NULL REFERENCES complaints (id),
    resident_id   TEXT,
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    CHECK (resident_id IS NOT NULL OR contact_email <> '' OR contact_phone <> '')
);
CREATE UNIQUE INDEX followers_account ON followers (complaint_id, resident_id)
    WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX followers_email ON followers (complaint_id, lower(contact_email))
    WHERE resident_id IS NULL AND contact_email <> '';
CREATE UNIQUE INDEX followers_phone ON followers (complaint_id, contact_phone)
    WHERE resident_id IS NULL AND contact_email = '' AND contact_phone <> '';

-- Open311 API keys, issued by administrators; only the SHA-256 of a key is kept.
CREATE TABLE open311_keys (
    id         UUID PRIMARY KEY,
    label      TEXT NOT NULL,
    key_sha256 TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
