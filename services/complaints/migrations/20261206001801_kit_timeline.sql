-- The timeline's definition is the kit's (migration 0007_timeline.sql): on a database an
-- earlier migration of this service set up, this checks the table against it.
SELECT kit.ensure_timeline('complaints');
