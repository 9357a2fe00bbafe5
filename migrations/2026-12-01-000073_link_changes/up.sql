-- Links between initiatives in the public change feed: `linked` when a link between two published
-- initiatives is made, `unlinked` when it is removed, each naming the link. A link touching an
-- unpublished initiative is not public, so it is not in the feed (its initiative's own `deleted`
-- tells harvesters to drop what touched it).
ALTER TABLE changes DROP CONSTRAINT changes_change_check;
ALTER TABLE changes ADD CONSTRAINT changes_change_check
    CHECK (change IN ('created', 'updated', 'deleted', 'merged', 'linked', 'unlinked'));
ALTER TABLE changes ADD COLUMN link_id bigint REFERENCES initiative_links (id);

CREATE FUNCTION archipel_link_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (initiative_id, change, link_id)
    SELECT l.from_id, 'linked', l.id
    FROM changed l
    JOIN initiatives a ON a.id = l.from_id AND a.moderation = 'published'
    JOIN initiatives b ON b.id = l.to_id AND b.moderation = 'published'
    WHERE l.removed_at IS NULL
    ORDER BY l.id;
    IF FOUND THEN
        INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER initiative_links_changes_insert AFTER INSERT ON initiative_links
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_link_changes();
-- Removing a link sets its removed_at.
CREATE FUNCTION archipel_unlink_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (initiative_id, change, link_id)
    SELECT l.from_id, 'unlinked', l.id
    FROM changed l
    JOIN before o ON o.id = l.id AND o.removed_at IS NULL
    JOIN initiatives a ON a.id = l.from_id AND a.moderation = 'published'
    JOIN initiatives b ON b.id = l.to_id AND b.moderation = 'published'
    WHERE l.removed_at IS NOT NULL
    ORDER BY l.id;
    IF FOUND THEN
        INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER initiative_links_changes_update AFTER UPDATE ON initiative_links
    REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_unlink_changes();

-- The live public links already made open the feed for links.
INSERT INTO changes (initiative_id, change, link_id, at)
SELECT l.from_id, 'linked', l.id, l.created_at
FROM initiative_links l
JOIN initiatives a ON a.id = l.from_id AND a.moderation = 'published'
JOIN initiatives b ON b.id = l.to_id AND b.moderation = 'published'
WHERE l.removed_at IS NULL
ORDER BY l.id;
INSERT INTO change_batches DEFAULT VALUES ON CONFLICT DO NOTHING;
