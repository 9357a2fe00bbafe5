ALTER TABLE import_runs DROP CONSTRAINT import_runs_status_check;
UPDATE import_runs SET status = 'failed' WHERE status = 'abandoned';
ALTER TABLE import_runs ADD CONSTRAINT import_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'not_modified', 'failed'));
