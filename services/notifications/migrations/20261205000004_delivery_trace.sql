-- The trace context of the change a delivery tells of: the worker sends it in that
-- trace, so one trace runs from the resident's request to the mail leaving.
ALTER TABLE deliveries ADD COLUMN traceparent TEXT;
