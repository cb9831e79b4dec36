-- Confirmed answers to the OWASP SAMM questions, kept in full: the latest per question is the
-- current assessment, the earlier ones its history. Never edited.
CREATE TABLE samm_answers (
    id          TEXT PRIMARY KEY,
    question    TEXT NOT NULL,
    answer      BIGINT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    note        TEXT NOT NULL,
    answered_by TEXT NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE FUNCTION samm_answers_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'SAMM answers are append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER samm_answers_no_update BEFORE UPDATE ON samm_answers
FOR EACH ROW EXECUTE FUNCTION samm_answers_append_only();
