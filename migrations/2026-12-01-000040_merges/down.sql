CREATE OR REPLACE FUNCTION archipel_changes_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (initiative_id, change)
    SELECT n.id,
           CASE WHEN o.moderation <> 'published' THEN 'created'
                WHEN n.moderation <> 'published' THEN 'deleted'
                ELSE 'updated' END
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.moderation = 'published' OR n.moderation = 'published')
      AND o.feature IS DISTINCT FROM n.feature
    ORDER BY n.id;
    IF FOUND THEN
        INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Merged initiatives become archived (their history stays; their redirects go).
UPDATE initiatives SET moderation = 'archived' WHERE moderation = 'merged';
ALTER TABLE revisions DROP COLUMN merged_from;
UPDATE revisions SET action = 'update' WHERE action = 'merge';
ALTER TABLE revisions DROP CONSTRAINT revisions_action_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_action_check
    CHECK (action IN ('create', 'update', 'archive', 'import', 'withdraw', 'restore'));
DROP TABLE initiative_merges;
ALTER TABLE initiatives DROP CONSTRAINT initiatives_moderation_check;
ALTER TABLE initiatives ADD CONSTRAINT initiatives_moderation_check
    CHECK (moderation IN ('pending', 'published', 'rejected', 'archived', 'withdrawn'));
