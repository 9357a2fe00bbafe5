ALTER TABLE import_runs
    DROP COLUMN taxonomy,
    DROP COLUMN taxonomy_url,
    DROP COLUMN unmapped,
    DROP COLUMN to_classify;
