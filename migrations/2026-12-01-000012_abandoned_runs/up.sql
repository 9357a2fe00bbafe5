-- A run whose process died (killed, crashed, machine restarted) before it ended is `abandoned`:
-- its transaction was rolled back by PostgreSQL, so it changed nothing.
ALTER TABLE import_runs DROP CONSTRAINT import_runs_status_check;
UPDATE import_runs SET status = 'abandoned'
WHERE status = 'failed' AND error = 'the import process stopped before the run ended';
ALTER TABLE import_runs ADD CONSTRAINT import_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'not_modified', 'failed', 'abandoned'));
