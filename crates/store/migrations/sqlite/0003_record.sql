-- Observables of every incident, for "also seen in incidents …" and look-ups by value.
CREATE TABLE observable_index (
    incident_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    ioc         BOOLEAN NOT NULL,
    PRIMARY KEY (incident_id, kind, value)
);
CREATE INDEX observable_index_value ON observable_index (value, kind);

-- Full-text search documents: one per searchable field (title, summary, each timeline entry,
-- each observable…), kept in step with the journal by the append that changes them.
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL,
    field       TEXT NOT NULL,
    body        TEXT NOT NULL,
    -- `body` cut into lower-case words by Debrief itself, so both backends index the same terms.
    terms       TEXT NOT NULL,
    UNIQUE (incident_id, field)
);
CREATE VIRTUAL TABLE search_fts USING fts5(
    terms, content = 'search_docs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, terms) VALUES (new.id, new.terms);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
    INSERT INTO search_fts (rowid, terms) VALUES (new.id, new.terms);
END;

-- Projection columns for list filters.
ALTER TABLE incidents ADD COLUMN severity INTEGER;
ALTER TABLE incidents ADD COLUMN class TEXT;
ALTER TABLE incidents ADD COLUMN assignee TEXT;
CREATE INDEX incidents_severity ON incidents (severity, number);
CREATE INDEX incidents_class ON incidents (class, number);
