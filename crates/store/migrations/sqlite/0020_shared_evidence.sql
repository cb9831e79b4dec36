-- Evidence files in the database, for the backends whose instances share it (PostgreSQL). SQLite's
-- one instance keeps them in its evidence directory: the table stays empty, and exists so that
-- both backends are at the same schema version (a backup restores across them).
CREATE TABLE evidence_chunks (
    sha256 TEXT   NOT NULL,
    n      BIGINT NOT NULL,
    bytes  BLOB   NOT NULL,
    PRIMARY KEY (sha256, n)
);
