-- Links sent by e-mail (address verification, password reset) are asked for, not made,
-- when the event is written: a request keeps the account, the purpose and the expiry,
-- and its event carries only the request's id. The secret is drawn when the e-mail goes
-- out (Links.IssueLink) and stored as its digest in one_time_tokens, tied to the request.
CREATE TABLE link_requests (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    requested_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    -- Links issued so far (a retried e-mail gets a new one), bounded.
    issued       INTEGER NOT NULL DEFAULT 0,
    -- One link of the request was used: every other one is spent with it.
    used_at      TIMESTAMPTZ
);

CREATE INDEX link_requests_account ON link_requests (account_id);

ALTER TABLE one_time_tokens
    ADD COLUMN request_id UUID REFERENCES link_requests (id) ON DELETE CASCADE;

CREATE INDEX one_time_tokens_request ON one_time_tokens (request_id);

-- Before this, events carried the link itself, secret included: those still in the
-- outbox go, and the links they carried stop working (a resident asks for a new one).
DELETE FROM kit.outbox
WHERE routing_key IN ('identity.account.verification_requested',
                      'identity.account.password_reset_requested');

UPDATE one_time_tokens SET expires_at = now()
WHERE used_at IS NULL AND expires_at > now();
