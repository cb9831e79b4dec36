-- Need-to-know: an incident restricted to its team (the fold's `restricted`, kept as a column so
-- that lists leave out, in SQL, the incidents a reader may not know of), and groups of accounts
-- that access can be given to.
ALTER TABLE incidents ADD COLUMN restricted BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX incidents_restricted ON incidents (restricted) WHERE restricted;

CREATE TABLE user_groups (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE user_group_members (
    group_name TEXT NOT NULL REFERENCES user_groups (name),
    username   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    PRIMARY KEY (group_name, username)
);
CREATE INDEX user_group_members_user ON user_group_members (username);
