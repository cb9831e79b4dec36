-- Confirmed answers to the OWASP SAMM questions, kept in full: the latest per question is the
-- current assessment, the earlier ones its history. Never edited.
CREATE TABLE samm_answers (
    id          TEXT PRIMARY KEY,
    question    TEXT NOT NULL,
    answer      INTEGER NOT NULL,
    value       REAL NOT NULL,
    note        TEXT NOT NULL,
    answered_by TEXT NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE TRIGGER samm_answers_no_update BEFORE UPDATE ON samm_answers
BEGIN SELECT RAISE(ABORT, 'SAMM answers are append-only'); END;
