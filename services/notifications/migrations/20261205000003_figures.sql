-- The figures supervisors look at (demands received and answered per week, answer
-- times against the due dates, per department and per teleservice): one row per
-- demand of any silo, kept by the residents' consumer from the filing and the first
-- final status.
CREATE TABLE demand_figures (
    tracking_number TEXT PRIMARY KEY,
    kind            TEXT NOT NULL DEFAULT '',
    department      TEXT NOT NULL DEFAULT '',
    -- Teleservice demands: the teleservice's slug and title.
    teleservice     TEXT NOT NULL DEFAULT '',
    teleservice_label TEXT NOT NULL DEFAULT '',
    filed_at        TIMESTAMPTZ,
    due_at          TIMESTAMPTZ,
    -- The first time it was resolved, rejected or closed.
    answered_at     TIMESTAMPTZ
);
CREATE INDEX demand_figures_filed ON demand_figures (filed_at);
CREATE INDEX demand_figures_answered ON demand_figures (answered_at);
