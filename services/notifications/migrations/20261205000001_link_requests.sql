-- Identity's e-mails (address verification, password reset) hold a link whose secret is
-- asked of the identity service when the e-mail goes out, and is never stored: the row
-- keeps the message with a slot where the link goes, and the link request's id.
ALTER TABLE deliveries ADD COLUMN link_request UUID;

-- Rows written before this held the link itself, secret included: their bodies go, and
-- those not yet sent fail (the resident asks for a new link).
UPDATE deliveries
SET body = '',
    last_error = CASE WHEN status = 'pending'
                      THEN 'lien retiré : l''usager doit en demander un nouveau'
                      ELSE last_error END,
    status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END
WHERE event_type IN ('identity.account.verification_requested',
                     'identity.account.password_reset_requested');
