-- An account whose password was given to its holder by someone else (the first start's admin
-- password, a generated one) must choose its own at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
