-- The fold version a projection row was written with (rows older than the code's are refolded
-- from their journal when the store opens), and the compact facts the metrics read.
ALTER TABLE incidents ADD COLUMN fold_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN facts TEXT;
CREATE INDEX incidents_opened ON incidents (opened_at);
