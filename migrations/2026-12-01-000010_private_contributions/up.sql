-- Suggestions sent by visitors of the map, with what is personal about them kept apart from the
-- initiative, its revisions and anything public: the submitter's e-mail lives only here, is shown
-- to editors where they moderate, and is erased after the retention period
-- (`archipel privacy purge`).
CREATE TABLE suggestions (
    initiative_id   uuid PRIMARY KEY REFERENCES initiatives (id),
    submitter_email text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Suggestions made before this table existed: every initiative a visitor created.
INSERT INTO suggestions (initiative_id, submitter_email, created_at)
SELECT r.initiative_id,
       nullif(substring(r.reason FROM '^suggested on the map by (.+)$'), ''),
       r.created_at
FROM revisions r
WHERE r.action = 'create' AND r.author = 'visitor'
ON CONFLICT (initiative_id) DO NOTHING;

-- Earlier versions wrote the submitter's e-mail into the revision's reason, which the public
-- history showed: redact it everywhere.
UPDATE revisions SET reason = 'suggested on the map'
WHERE reason LIKE 'suggested on the map by %';
