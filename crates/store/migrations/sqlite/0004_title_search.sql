-- Word-prefix search on incident titles for the incident list's filter box: an FTS5 index over
-- the projection's `title`, kept in step by triggers (the upsert's UPDATE path fires them too).
CREATE VIRTUAL TABLE incident_title_fts USING fts5(
    title, content = 'incidents', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO incident_title_fts (incident_title_fts) VALUES ('rebuild');
CREATE TRIGGER incidents_title_ai AFTER INSERT ON incidents BEGIN
    INSERT INTO incident_title_fts (rowid, title) VALUES (new.rowid, new.title);
END;
CREATE TRIGGER incidents_title_ad AFTER DELETE ON incidents BEGIN
    INSERT INTO incident_title_fts (incident_title_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
END;
CREATE TRIGGER incidents_title_au AFTER UPDATE OF title ON incidents BEGIN
    INSERT INTO incident_title_fts (incident_title_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
    INSERT INTO incident_title_fts (rowid, title) VALUES (new.rowid, new.title);
END;
