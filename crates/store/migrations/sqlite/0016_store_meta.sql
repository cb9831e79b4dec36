-- Facts about the store itself, such as the version of the word cutting the stored search terms
-- were made with (a store opened by a newer Debrief re-cuts them).
CREATE TABLE store_meta (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
