-- What a run could not classify: how many records it stored pending "to classify" (no category of
-- the directory matched them), and every value of theirs that mapped to nothing, with its count,
-- so an editor can extend the source's mapping. A GoGoCarto run also keeps the taxonomy it used
-- to name option ids, and where it read it.
ALTER TABLE import_runs
    ADD COLUMN to_classify integer NOT NULL DEFAULT 0,
    ADD COLUMN unmapped jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN taxonomy_url text,
    ADD COLUMN taxonomy jsonb;
