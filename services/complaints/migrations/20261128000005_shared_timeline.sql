-- The timeline follows the kit's shared layout (guichet_kit::demand::timeline).
ALTER TABLE timeline RENAME COLUMN complaint_id TO demand_id;
ALTER INDEX timeline_complaint RENAME TO timeline_demand;
