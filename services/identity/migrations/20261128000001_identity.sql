-- Residents (and professionals acting for businesses).
CREATE TABLE accounts (
    id                UUID PRIMARY KEY,
    -- Lower-cased; NULL only for an account created by FranceConnect without e-mail.
    email             TEXT UNIQUE,
    password_hash     TEXT,
    email_verified_at TIMESTAMPTZ,
    -- FranceConnect subject (pairwise `sub`), once linked.
    fc_sub            TEXT UNIQUE,
    created_at        TIMESTAMPTZ NOT NULL,
    erased_at         TIMESTAMPTZ
);

-- Profile attributes with how each is known (1 declared, 2 verified, 3 checked at a
-- counter, 4 FranceConnect), as Lutece's identity store does.
CREATE TABLE attributes (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    level      SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 4),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE businesses (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    siret      TEXT NOT NULL CHECK (siret ~ '^[0-9]{14}$'),
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    added_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, siret)
);

-- Single-use links sent by e-mail (verification, password reset), stored hashed.
CREATE TABLE one_time_tokens (
    hash       TEXT PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE departments (
    code   TEXT PRIMARY KEY,
    label  TEXT NOT NULL,
    themes TEXT[] NOT NULL DEFAULT '{}'
);

-- What agents' tabs are made of: complaint categories, teleservice themes, RAPO.
CREATE TABLE themes (
    code     TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE agents (
    id            UUID PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    roles         TEXT[] NOT NULL DEFAULT '{agent}',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE agent_departments (
    agent_id   UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    department TEXT NOT NULL REFERENCES departments (code),
    PRIMARY KEY (agent_id, department)
);

CREATE TABLE tab_preferences (
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    code     TEXT NOT NULL,
    position INTEGER NOT NULL,
    hidden   BOOLEAN NOT NULL,
    PRIMARY KEY (agent_id, code)
);

-- Kiosks, counters, phone desks and app installations.
CREATE TABLE devices (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('kiosk', 'counter', 'phone', 'app')),
    label       TEXT NOT NULL,
    location    TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Ed25519 signing keys. The newest unretired key signs; older ones stay published
-- until every token they signed has expired.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_der BYTEA NOT NULL,
    public_x    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    retired_at  TIMESTAMPTZ
);

-- A session is a refresh-token family: reuse of a spent token revokes the whole family.
CREATE TABLE sessions (
    id             UUID PRIMARY KEY,
    subject        UUID NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('resident', 'agent', 'device')),
    channel        TEXT NOT NULL,
    device_id      UUID,
    created_at     TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    -- Idle limit (kiosk sessions end by themselves) and absolute limit.
    idle_seconds   INTEGER NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    -- FranceConnect ID token, needed as `id_token_hint` at logout.
    fc_id_token    TEXT
);

CREATE INDEX sessions_subject ON sessions (subject);

CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at  TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- Failed logins per account and per address, to slow guessing down.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);

-- FranceConnect logins in flight: state and nonce kept server-side.
CREATE TABLE franceconnect_logins (
    state           TEXT PRIMARY KEY,
    nonce           TEXT NOT NULL,
    link_account_id UUID REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL
);

-- Every agent action on personal data, append-only.
CREATE TABLE audit_log (
    id         UUID PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    service    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_subject ON audit_log (subject, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
