-- The FPS registry, imported from the municipal police system. The notice number is the
-- key: importing the same notice twice changes nothing.
CREATE TABLE fps (
    notice_number        TEXT PRIMARY KEY CHECK (notice_number ~ '^[0-9]{26}$'),
    -- As printed on the notice, and normalised (upper case, letters and digits only)
    -- to compare with what residents type.
    plate                TEXT NOT NULL,
    plate_key            TEXT NOT NULL,
    offence_at           TIMESTAMPTZ NOT NULL,
    place                TEXT NOT NULL,
    amount_cents         BIGINT NOT NULL CHECK (amount_cents > 0),
    issuing_agent        TEXT NOT NULL,
    -- Europe/Paris day of notification: starts the one-month RAPO clock.
    notified_on          DATE NOT NULL,
    notification_channel TEXT NOT NULL CHECK (notification_channel IN ('pare_brise', 'courrier', 'electronique')),
    -- A rectified notice issued by a partial cancellation names the one it replaces.
    rectifies            TEXT REFERENCES fps (notice_number),
    imported_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE disputes (
    id                      UUID PRIMARY KEY,
    tracking_number         TEXT NOT NULL UNIQUE,
    -- One dispute per notice: a second one is inadmissible.
    notice_number           TEXT NOT NULL UNIQUE REFERENCES fps (notice_number),
    plate                   TEXT NOT NULL,
    holder_name             TEXT NOT NULL,
    holder_address          TEXT NOT NULL DEFAULT '',
    -- Set when someone files for the holder under a mandate.
    representative_name     TEXT NOT NULL DEFAULT '',
    representative_address  TEXT NOT NULL DEFAULT '',
    contact_email           TEXT NOT NULL DEFAULT '',
    contact_phone           TEXT NOT NULL DEFAULT '',
    facts                   TEXT NOT NULL,
    grounds                 TEXT NOT NULL,
    -- Owner account, when filed by (or attached to) a signed-in resident.
    resident_id             TEXT,
    channel                 TEXT NOT NULL,
    department              TEXT NOT NULL,
    status                  TEXT NOT NULL,
    sub_status              TEXT NOT NULL DEFAULT '',
    received_at             TIMESTAMPTZ NOT NULL,
    -- Last Paris day for the city's answer, and the instant it has passed.
    answer_by               DATE NOT NULL,
    due_at                  TIMESTAMPTZ NOT NULL,
    decision                TEXT CHECK (decision IN ('annulation_totale', 'annulation_partielle', 'rejet', 'rejet_implicite')),
    decision_reasons        TEXT NOT NULL DEFAULT '',
    rectified_amount_cents  BIGINT,
    rectified_notice_number TEXT REFERENCES fps (notice_number),
    decided_at              TIMESTAMPTZ,
    decided_by              TEXT NOT NULL DEFAULT '',
    -- Last Paris day to go to the Tribunal du stationnement payant.
    appeal_by               DATE,
    -- The decision letter, generated once with the decision: an administrative act
    -- does not change when the template does.
    letter                  TEXT,
    idempotency_key         TEXT UNIQUE,
    anonymised_at           TIMESTAMPTZ,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK ((decision IS NULL) = (letter IS NULL))
);

-- The scheduler's and the agents' work list: undecided disputes by deadline.
CREATE INDEX disputes_undecided ON disputes (due_at) WHERE decision IS NULL;
CREATE INDEX disputes_resident ON disputes (resident_id, received_at DESC) WHERE resident_id IS NOT NULL;

CREATE TABLE pieces (
    id           UUID PRIMARY KEY,
    dispute_id   UUID NOT NULL REFERENCES disputes (id),
    role         TEXT NOT NULL CHECK (role IN ('payment_notice', 'registration_certificate', 'sale_declaration', 'sale_registration_receipt', 'mandate', 'supporting')),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    -- Read from the bytes, not the sender's word.
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL
);

CREATE INDEX pieces_dispute ON pieces (dispute_id, position);

-- The kit's shared timeline layout (guichet_kit::demand::timeline).
CREATE TABLE timeline (
    id          UUID PRIMARY KEY,
    demand_id   UUID NOT NULL REFERENCES disputes (id),
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
