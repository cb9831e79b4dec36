-- The sign-in limiter's counts, in the database so that every instance of an installation
-- counts the same checks: one row per user name ("user:…") or client address ("addr:…"), the
-- checks started in the window that began at `since` (Unix seconds). Rows older than the window
-- are deleted as checks are counted; nothing here is kept longer than that, nor backed up.
CREATE TABLE sign_in_checks (
    key    TEXT   PRIMARY KEY,
    checks BIGINT NOT NULL,
    since  BIGINT NOT NULL
);
