-- A professional files for one of the businesses of their account.
ALTER TABLE complaints ADD COLUMN business_siret TEXT, ADD COLUMN business_name TEXT;
