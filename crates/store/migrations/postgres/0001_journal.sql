-- The journal is the source of truth; `incidents` is a projection rebuilt from it.
CREATE TABLE journal (
    gseq        BIGINT PRIMARY KEY,
    incident_id TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    recorded_at TEXT   NOT NULL,
    actor       TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL,
    ledger_prev TEXT   NOT NULL,
    ledger_hash TEXT   NOT NULL,
    UNIQUE (incident_id, seq)
);

-- Append-only: the database itself refuses edits and deletions made through SQL.
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$;
CREATE TRIGGER journal_no_update BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();

-- The signed tip of the ledger (the global chain over all incidents). One row.
CREATE TABLE ledger_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    gseq       BIGINT NOT NULL,
    hash       TEXT   NOT NULL,
    public_key TEXT   NOT NULL,
    signature  TEXT   NOT NULL
);
INSERT INTO ledger_head (id, gseq, hash, public_key, signature)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '', '');

CREATE TABLE incidents (
    id         TEXT   PRIMARY KEY,
    number     BIGINT NOT NULL UNIQUE,
    title      TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    opened_at  TEXT   NOT NULL,
    updated_at TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    head_hash  TEXT   NOT NULL,
    state      TEXT   NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, number);
CREATE INDEX incidents_updated ON incidents (updated_at);
