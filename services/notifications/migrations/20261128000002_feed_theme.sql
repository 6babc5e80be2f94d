-- The theme of the demand (`complaint:NID_DE_POULE`, `rapo`): agents whose departments
-- handle the theme see the item whatever department it is routed to (the MRU desk).
ALTER TABLE feed_items ADD COLUMN theme TEXT NOT NULL DEFAULT '';
CREATE INDEX feed_items_theme ON feed_items (theme, at DESC);
