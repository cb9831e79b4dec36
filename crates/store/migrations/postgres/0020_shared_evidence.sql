-- Evidence files kept in the database, in chunks of 1 MiB, so that every instance of an
-- installation reads what any of them stored; each instance's evidence directory is a cache.
CREATE TABLE evidence_chunks (
    sha256 TEXT   NOT NULL,
    n      BIGINT NOT NULL,
    bytes  BYTEA  NOT NULL,
    PRIMARY KEY (sha256, n)
);
