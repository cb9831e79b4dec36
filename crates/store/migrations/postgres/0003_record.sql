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
-- The `simple` configuration: no stemming, no accent folding, the same as SQLite's unicode61.
CREATE TABLE search_docs (
    id          BIGSERIAL PRIMARY KEY,
    incident_id TEXT NOT NULL,
    field       TEXT NOT NULL,
    body        TEXT NOT NULL,
    -- `body` cut into lower-case words by Debrief itself, so both backends index the same terms.
    terms       TEXT NOT NULL,
    tsv         TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED,
    UNIQUE (incident_id, field)
);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

-- Projection columns for list filters.
ALTER TABLE incidents ADD COLUMN severity BIGINT;
ALTER TABLE incidents ADD COLUMN class TEXT;
ALTER TABLE incidents ADD COLUMN assignee TEXT;
CREATE INDEX incidents_severity ON incidents (severity, number);
CREATE INDEX incidents_class ON incidents (class, number);
