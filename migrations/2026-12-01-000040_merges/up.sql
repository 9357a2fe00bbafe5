-- Merging two records of one place: the merged initiative stays (nothing is hard-deleted) in a
-- state of its own, `merged`, which no list, tile, export or feed shows; `initiative_merges` says
-- where it went, so its id and slug redirect there and an import of its record updates the kept
-- initiative. `into_id` is always the final initiative: merging B (which absorbed A) into C
-- re-points A to C, so one lookup resolves any chain.
ALTER TABLE initiatives DROP CONSTRAINT initiatives_moderation_check;
ALTER TABLE initiatives ADD CONSTRAINT initiatives_moderation_check
    CHECK (moderation IN ('pending', 'published', 'rejected', 'archived', 'withdrawn', 'merged'));

CREATE TABLE initiative_merges (
    merged_id uuid PRIMARY KEY REFERENCES initiatives (id),
    into_id   uuid NOT NULL REFERENCES initiatives (id),
    merged_by text NOT NULL,
    reason    text,
    merged_at timestamptz NOT NULL DEFAULT now(),
    CHECK (into_id <> merged_id)
);
CREATE INDEX initiative_merges_into_idx ON initiative_merges (into_id);

-- The kept initiative's revision of a merge names the initiative it absorbed.
ALTER TABLE revisions DROP CONSTRAINT revisions_action_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_action_check
    CHECK (action IN ('create', 'update', 'archive', 'import', 'withdraw', 'restore', 'merge'));
ALTER TABLE revisions ADD COLUMN merged_from uuid REFERENCES initiatives (id);

-- A published initiative that becomes `merged` leaves the public set as `merged` (with the
-- initiative it went into, recorded in initiative_merges first), never as `deleted`.
CREATE OR REPLACE FUNCTION archipel_changes_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (initiative_id, change, merged_into)
    SELECT n.id,
           CASE WHEN n.moderation = 'merged' THEN 'merged'
                WHEN o.moderation <> 'published' THEN 'created'
                WHEN n.moderation <> 'published' THEN 'deleted'
                ELSE 'updated' END,
           CASE WHEN n.moderation = 'merged'
                THEN (SELECT m.into_id FROM initiative_merges m WHERE m.merged_id = n.id) END
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.moderation = 'published' OR n.moderation = 'published')
      AND o.feature IS DISTINCT FROM n.feature
    ORDER BY n.id;
    IF FOUND THEN
        INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
