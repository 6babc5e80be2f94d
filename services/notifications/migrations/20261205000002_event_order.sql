-- Events about one demand or account reach the residents' consumer in any order (several
-- relays, retries through the delay queues). What a row holds says which events made it,
-- so a late event neither loses its effect nor undoes a newer one's.
ALTER TABLE demands
    -- Whether the demand's filing event was seen here, and with it whom to tell. A row a
    -- claim made first has no contact yet: a status change or an agent's message waits
    -- for the filing (the consumer retries it) instead of reaching nobody. Rows written
    -- before this were all filed.
    ADD COLUMN filed_seen       BOOLEAN NOT NULL DEFAULT true,
    -- When the status change that set `status` happened; NULL while the status is the
    -- filing's. An older change arriving late never replaces a newer one.
    ADD COLUMN status_at        TIMESTAMPTZ,
    -- When the event that gave kind, department, theme and title happened; an older
    -- event only fills what is still blank.
    ADD COLUMN described_at     TIMESTAMPTZ,
    -- The account the demand was filed under or claimed by was erased: nobody is told,
    -- and a filing arriving after the erasure brings no contact back.
    ADD COLUMN recipient_erased BOOLEAN NOT NULL DEFAULT false;

-- When the identity event that gave `email` happened: an older request arriving late
-- never puts back an address the resident replaced. NULL for addresses read from the
-- profile.
ALTER TABLE accounts ADD COLUMN email_at TIMESTAMPTZ;

-- Accounts erased, by digest (SHA-256 of the id) so the id itself is gone as the
-- erasure wants: a filing, claim, e-mail request or follower's outcome about one that
-- arrives after the erasure brings nothing back and reaches nobody.
CREATE TABLE erased_accounts (
    account_digest BYTEA PRIMARY KEY,
    erased_at      TIMESTAMPTZ NOT NULL
);
