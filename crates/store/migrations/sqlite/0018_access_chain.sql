-- The access log, hash-chained: each read from now on carries its position and the hash of the
-- one before, so that an edited, inserted or deleted record is found by `debrief verify`. Reads
-- recorded before this migration stay as they were (unchained, and said to be so).
ALTER TABLE access_log ADD COLUMN seq BIGINT;
ALTER TABLE access_log ADD COLUMN prev_hash TEXT;
ALTER TABLE access_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX access_log_seq ON access_log (seq);
