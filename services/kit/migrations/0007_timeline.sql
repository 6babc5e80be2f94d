-- The timeline of a silo's demands (guichet_kit::demand::timeline): one definition for
-- every silo. The table lives beside the silo's own table of demands (in schema public,
-- with a foreign key to it), which the kit's migrations, applied first, cannot see yet:
-- so the kit owns the definition as a function, and each silo's migration calls it with
-- its table (`SELECT kit.ensure_timeline('disputes');`). Idempotent: a database whose
-- timeline an older migration created keeps it, checked against what the kit's SQL
-- reads and writes.
CREATE OR REPLACE FUNCTION kit.ensure_timeline(aggregate regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS public.timeline (
            id          UUID PRIMARY KEY,
            demand_id   UUID NOT NULL REFERENCES %s (id),
            at          TIMESTAMPTZ NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN (''status_change'', ''message'')),
            author_role TEXT NOT NULL,
            author_name TEXT NOT NULL DEFAULT '''',
            author_id   TEXT NOT NULL DEFAULT '''',
            channel     TEXT NOT NULL,
            status      TEXT,
            sub_status  TEXT NOT NULL DEFAULT '''',
            text        TEXT NOT NULL DEFAULT ''''
        )',
        aggregate
    );
    CREATE INDEX IF NOT EXISTS timeline_demand ON public.timeline (demand_id, at);
    SELECT string_agg(wanted, ', ') INTO missing
    FROM unnest(ARRAY['id', 'demand_id', 'at', 'kind', 'author_role', 'author_name',
                      'author_id', 'channel', 'status', 'sub_status', 'text']) AS wanted
    WHERE NOT EXISTS (
        SELECT 1 FROM information_schema.columns c
        WHERE c.table_schema = 'public' AND c.table_name = 'timeline' AND c.column_name = wanted
    );
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'table timeline lacks the kit''s columns: %', missing;
    END IF;
END
$$;
