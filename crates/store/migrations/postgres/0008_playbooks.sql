-- Playbooks, every version kept: a new version is a new row (the latest is the highest
-- version of a slug and language). `from_incident` names the incident whose lessons a version
-- carries.
CREATE TABLE playbooks (
    slug          TEXT   NOT NULL,
    lang          TEXT   NOT NULL,
    version       BIGINT NOT NULL,
    title         TEXT   NOT NULL,
    body          TEXT   NOT NULL,
    published_by  TEXT   NOT NULL,
    published_at  TEXT   NOT NULL,
    from_incident BIGINT,
    note          TEXT   NOT NULL,
    PRIMARY KEY (slug, lang, version)
);
