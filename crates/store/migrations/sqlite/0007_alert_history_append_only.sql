-- An alert's history is append-only, like the journal: the database refuses edits and deletions.
CREATE TRIGGER alert_history_no_update BEFORE UPDATE ON alert_history
BEGIN SELECT RAISE(ABORT, 'the alert history is append-only'); END;
CREATE TRIGGER alert_history_no_delete BEFORE DELETE ON alert_history
BEGIN SELECT RAISE(ABORT, 'the alert history is append-only'); END;
