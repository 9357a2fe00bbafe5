-- What each imported record's feed element looked like when it was last imported (#13).
--
-- `digest` is a SHA-256 (first 16 bytes) of the element as parsed, seeded with everything the
-- normalisation depends on: the importer's code, the source's format, its mapping and its
-- taxonomy. When a re-import meets an element with a digest listed here, it already knows the
-- record this element normalises to — its external id and `content_hash` — and skips reading it
-- again. A digest counts only while its `content_hash` is still the one on the initiative's row
-- (anything that changes the row's hash makes it stale), and never for a withdrawn initiative.
-- Keyed by the record's own row (a merged record keeps its row).
CREATE TABLE import_digests (
    initiative_id uuid PRIMARY KEY REFERENCES initiatives (id) ON DELETE CASCADE,
    digest bytea NOT NULL,
    content_hash text NOT NULL
);
