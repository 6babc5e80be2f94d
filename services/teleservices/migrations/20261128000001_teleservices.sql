-- Teleservices and their versions. A version is frozen when piloted or published and
-- never changes again; demands point at the version they were filled with.
CREATE TABLE teleservices (
    id            UUID PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    state         TEXT NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'pilot', 'published', 'retired')),
    live_version  INT,
    pilot         JSONB,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE versions (
    teleservice_id UUID NOT NULL REFERENCES teleservices (id),
    version        INT NOT NULL,
    definition     JSONB NOT NULL,
    frozen_at      TIMESTAMPTZ,
    created_by     TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (teleservice_id, version)
);

-- At most one version being edited per teleservice.
CREATE UNIQUE INDEX versions_one_draft ON versions (teleservice_id) WHERE frozen_at IS NULL;

-- Answers saved to be finished later, on any channel.
CREATE TABLE drafts (
    id              UUID PRIMARY KEY,
    teleservice_id  UUID NOT NULL REFERENCES teleservices (id),
    version         INT NOT NULL,
    resident_id     TEXT,
    data            JSONB NOT NULL DEFAULT '{}',
    channel         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    tracking_number TEXT,
    FOREIGN KEY (teleservice_id, version) REFERENCES versions (teleservice_id, version)
);

CREATE INDEX drafts_resident ON drafts (resident_id, updated_at DESC) WHERE resident_id IS NOT NULL;

CREATE TABLE demands (
    id              UUID PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    teleservice_id  UUID NOT NULL REFERENCES teleservices (id),
    version         INT NOT NULL,
    title           TEXT NOT NULL,
    theme           TEXT NOT NULL,
    department      TEXT NOT NULL,
    data            JSONB NOT NULL,
    resident_id     TEXT,
    contact_name    TEXT NOT NULL DEFAULT '',
    contact_email   TEXT NOT NULL DEFAULT '',
    contact_phone   TEXT NOT NULL DEFAULT '',
    business_siret  TEXT,
    business_name   TEXT,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    sub_status      TEXT NOT NULL DEFAULT '',
    assignee_id     TEXT,
    assignee_name   TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT UNIQUE,
    anonymised_at   TIMESTAMPTZ,
    FOREIGN KEY (teleservice_id, version) REFERENCES versions (teleservice_id, version)
);

CREATE INDEX demands_department ON demands (department, created_at DESC);
CREATE INDEX demands_resident ON demands (resident_id, created_at DESC) WHERE resident_id IS NOT NULL;

-- Uploads: attached to a draft, then to the demand it becomes.
CREATE TABLE attachments (
    id         UUID PRIMARY KEY,
    draft_id   UUID NOT NULL REFERENCES drafts (id),
    demand_id  UUID REFERENCES demands (id),
    filename   TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX attachments_draft ON attachments (draft_id);
CREATE INDEX attachments_demand ON attachments (demand_id) WHERE demand_id IS NOT NULL;

-- The shared timeline layout (guichet_kit::demand::timeline).
CREATE TABLE timeline (
    id          UUID PRIMARY KEY,
    demand_id   UUID NOT NULL REFERENCES demands (id),
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('status_change', 'message')),
    author_role TEXT NOT NULL,
    author_name TEXT NOT NULL DEFAULT '',
    author_id   TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL,
    status      TEXT,
    sub_status  TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT ''
);

CREATE INDEX timeline_demand ON timeline (demand_id, at);
