-- An alert's history is append-only, like the journal: the database refuses edits and deletions.
CREATE FUNCTION alert_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the alert history is append-only';
END;
$$;
CREATE TRIGGER alert_history_no_update BEFORE UPDATE OR DELETE ON alert_history
    FOR EACH ROW EXECUTE FUNCTION alert_history_append_only();
CREATE TRIGGER alert_history_no_truncate BEFORE TRUNCATE ON alert_history
    FOR EACH STATEMENT EXECUTE FUNCTION alert_history_append_only();
