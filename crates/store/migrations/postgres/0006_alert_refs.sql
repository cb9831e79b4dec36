-- Every (type, source, source_ref) intake has seen, and the alert it went to: an alert's own key
-- and the keys grouped into it, so that sending a grouped detection again is a repeat.
CREATE TABLE alert_refs (
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    alert_id   TEXT NOT NULL REFERENCES alerts (id),
    PRIMARY KEY (kind, source, source_ref)
);
INSERT INTO alert_refs (kind, source, source_ref, alert_id) SELECT kind, source, source_ref, id FROM alerts;
