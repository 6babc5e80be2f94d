-- A resident answers an agent's request with a document after filing: such a file
-- belongs to the demand and to no draft.
ALTER TABLE attachments ALTER COLUMN draft_id DROP NOT NULL;
ALTER TABLE attachments ADD CONSTRAINT attachments_owned
    CHECK (draft_id IS NOT NULL OR demand_id IS NOT NULL);
