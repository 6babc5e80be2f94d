-- The desk finds people as they are said on the phone: "Helene Berard" finds
-- "Hélène Bérard". `kit.fold` is the one comparison form (lower case, no accents) every
-- service's search uses. `unaccent` is a trusted extension (PostgreSQL 13 and later),
-- so the database's owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA kit;

CREATE FUNCTION kit.fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(kit.unaccent('kit.unaccent'::regdictionary, $1)) $$;
