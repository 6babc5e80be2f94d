CREATE TABLE categories (
    code       TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    -- English hints for agents and designers; residents see `label`.
    examples   TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL,
    priority   TEXT NOT NULL CHECK (priority IN ('P1', 'P2', 'P3')),
    sla_days   INTEGER NOT NULL CHECK (sla_days >= 0),
    competence TEXT NOT NULL CHECK (competence IN ('commune', 'metropole', 'partagee')),
    position   INTEGER NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE complaints (
    id              UUID PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    category        TEXT NOT NULL REFERENCES categories (code),
    description     TEXT NOT NULL,
    latitude        DOUBLE PRECISION,
    longitude       DOUBLE PRECISION,
    address         TEXT NOT NULL DEFAULT '',
    contact_name    TEXT NOT NULL DEFAULT '',
    contact_email   TEXT NOT NULL DEFAULT '',
    contact_phone   TEXT NOT NULL DEFAULT '',
    resident_id     TEXT,
    channel         TEXT NOT NULL,
    department      TEXT NOT NULL,
    status          TEXT NOT NULL,
    sub_status      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    -- A client retry with the same key finds the complaint it already filed.
    idempotency_key TEXT UNIQUE,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);

CREATE INDEX complaints_department ON complaints (department, created_at DESC);
CREATE INDEX complaints_resident ON complaints (resident_id, created_at DESC) WHERE resident_id IS NOT NULL;

CREATE TABLE timeline (
    id           UUID PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    at           TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('status_change', 'message')),
    author_role  TEXT NOT NULL,
    author_name  TEXT NOT NULL DEFAULT '',
    author_id    TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL,
    status       TEXT,
    sub_status   TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX timeline_complaint ON timeline (complaint_id, at);
