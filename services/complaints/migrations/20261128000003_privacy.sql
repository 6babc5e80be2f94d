-- When a resident erased their account (RGPD) the complaint is kept, anonymised.
ALTER TABLE complaints ADD COLUMN anonymised_at TIMESTAMPTZ;
