-- The stakeholder directory: people and groups, internal or external (regulators, customers,
-- partners, the insurer…), with their channels and language.
CREATE TABLE stakeholders (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    scope          TEXT NOT NULL,
    category       TEXT NOT NULL,
    email          TEXT,
    webhook_url    TEXT,
    webhook_format TEXT,
    language       TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
