-- Where a kiosk or counter stands, so a kiosk files complaints at its own place and
-- shows the contact points near it.
ALTER TABLE devices ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE devices ADD COLUMN longitude DOUBLE PRECISION;

-- The city's places where residents are received (town hall, neighbourhood town halls,
-- the MRU and Allô Mairie desks): administrators keep them, everyone reads them.
CREATE TABLE contact_points (
    -- A stable code chosen by the administrator (`hotel-de-ville`).
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('mairie', 'mairie_annexe', 'mru', 'allo_mairie', 'autre')),
    address       TEXT NOT NULL,
    latitude      DOUBLE PRECISION NOT NULL,
    longitude     DOUBLE PRECISION NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    -- [{"weekday": 1..7, "opens": "08:30", "closes": "12:00"}], Paris time.
    opening_hours JSONB NOT NULL DEFAULT '[]',
    -- [{"from": "2026-12-24", "until": "2026-12-26", "reason": "…"}], days included.
    closures      JSONB NOT NULL DEFAULT '[]',
    -- What can be done there, in French.
    services      JSONB NOT NULL DEFAULT '[]',
    updated_at    TIMESTAMPTZ NOT NULL
);
