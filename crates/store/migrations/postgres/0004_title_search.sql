-- Word-prefix search on incident titles for the incident list's filter box, cutting titles
-- into words the same way as Debrief (and SQLite's unicode61) do.
CREATE INDEX incidents_title_words ON incidents
    USING GIN (to_tsvector('simple', regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g')));
