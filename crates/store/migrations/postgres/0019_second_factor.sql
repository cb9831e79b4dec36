-- Strong sign-in: second factors (TOTP secrets and passkeys), one-time recovery codes (kept only
-- as hashes), installation settings an admin changes (whether every local account must have a
-- second factor), and sessions that know their stage (a password checked, the second factor
-- still awaited), when they were last used (the idle lifetime) and the WebAuthn challenge a
-- passkey ceremony under way answers.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
ALTER TABLE sessions ADD COLUMN challenge TEXT;

CREATE TABLE second_factors (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    label        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    last_step    BIGINT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX second_factors_user ON second_factors (user_id);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);
