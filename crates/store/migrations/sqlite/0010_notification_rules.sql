-- Notification rules (which incidents are told to whom, with which template), stored as the
-- checked rule's JSON; and the user account a directory entry stands for (the incident lead's
-- address for deadline escalations).
CREATE TABLE notification_rules (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    rule       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE stakeholders ADD COLUMN username TEXT;
