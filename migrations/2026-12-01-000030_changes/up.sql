-- The public change feed (`/api/v1/changes`): one row per change of what the public sees, kept
-- by triggers on `initiatives`. Becoming published is `created`, a change of a published
-- initiative's Feature is `updated`, leaving the published set (archived, withdrawn, unpublished)
-- is `deleted`; `merged` rows are written by the merge itself.
--
-- Commit order: every transaction that writes changes also writes one row of `change_batches`,
-- and a deferred trigger numbers that row when the transaction commits, under a lock held until
-- the commit is done. So batch numbers follow commit order, a batch is visible only once
-- numbered, and no batch can later appear with a number below one a reader has already seen:
-- a harvester following the feed in (batch, change) order misses nothing and sees nothing twice.
CREATE SEQUENCE change_batch_seq;

CREATE TABLE change_batches (
    xid xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
    seq bigint UNIQUE
);

CREATE TABLE changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    initiative_id uuid NOT NULL,
    change        text NOT NULL CHECK (change IN ('created', 'updated', 'deleted', 'merged')),
    merged_into   uuid,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_xid_idx ON changes (xid, id);

CREATE FUNCTION archipel_number_change_batch() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('archipel-change-batches')::bigint);
    UPDATE change_batches SET seq = nextval('change_batch_seq') WHERE xid = NEW.xid;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER change_batches_numbered AFTER INSERT ON change_batches
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION archipel_number_change_batch();

CREATE FUNCTION archipel_changes_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (initiative_id, change)
    SELECT id, 'created' FROM new_rows WHERE moderation = 'published' ORDER BY id;
    IF FOUND THEN
        INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER initiatives_changes_insert AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_changes_inserted();

CREATE FUNCTION archipel_changes_updated() RETURNS trigger
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
CREATE TRIGGER initiatives_changes_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_changes_updated();

-- What is published already: its creation opens the feed.
INSERT INTO changes (initiative_id, change, at)
SELECT id, 'created', updated_at FROM initiatives WHERE moderation = 'published' ORDER BY id;
INSERT INTO change_batches DEFAULT VALUES;
