-- Accepted submissions of the public forms, per client network, for the rate limits shared by
-- every API process. Rows older than a day are deleted as new ones arrive (and by
-- `archipel privacy purge`): nothing else reads them.
CREATE TABLE form_submissions (
    client_key text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX form_submissions_client_idx ON form_submissions (client_key, at);
CREATE INDEX form_submissions_at_idx ON form_submissions (at);
