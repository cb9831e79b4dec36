-- Alerts awaiting triage. `state` is the alert as JSON (what the API returns); the columns beside
-- it are what lists filter and sort on. (type, source, source_ref) identifies an alert: a sender
-- repeating it updates the row and counts the repeat.
CREATE TABLE alerts (
    id          TEXT   PRIMARY KEY,
    number      BIGINT NOT NULL UNIQUE,
    kind        TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    source_ref  TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    host        TEXT,
    status      TEXT   NOT NULL,
    severity    BIGINT NOT NULL,
    occurrences BIGINT NOT NULL,
    first_seen  TEXT   NOT NULL,
    last_seen   TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    UNIQUE (kind, source, source_ref)
);
CREATE INDEX alerts_status_seen ON alerts (status, last_seen);
CREATE INDEX alerts_group ON alerts (kind, source, title, host, last_seen);

-- What happened to each alert, append-only: received, repeated, grouped, acknowledged, promoted,
-- merged, dismissed, reopened — who and when (time to acknowledge is measured from this).
CREATE TABLE alert_history (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, at);
