-- Who read what, when and from where: reports and exports rendered, evidence files taken out.
-- Reads are not facts about an incident, so they are kept here rather than in its journal (where
-- each would move the incident's sequence and make an editor's expected sequence stale).
-- Append-only, like the journal: the database refuses edits and deletions.
CREATE TABLE access_log (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    incident_id TEXT,
    number      BIGINT,
    what        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    format      TEXT NOT NULL,
    lang        TEXT NOT NULL,
    entry       BIGINT,
    sha256      TEXT,
    address     TEXT NOT NULL
);
CREATE INDEX access_log_incident ON access_log (incident_id, at);
CREATE INDEX access_log_at ON access_log (at);
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END;
$$;
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
