-- The map fades the initiatives nobody confirmed for a year: `map_points` keeps the day each one
-- was last confirmed (never confirmed: the day it was created), and the tiles give it to every
-- single initiative as `confirmed` (YYYY-MM-DD). The tile says when, not whether it is stale:
-- a built tile stays right as time passes, and the map compares it with its own today.
ALTER TABLE map_points ADD COLUMN confirmed_on date;
UPDATE map_points m SET confirmed_on = (coalesce(i.last_confirmed_at, i.created_at) AT TIME ZONE 'UTC')::date
FROM initiatives i WHERE i.id = m.id;
ALTER TABLE map_points ALTER COLUMN confirmed_on SET NOT NULL;

CREATE OR REPLACE FUNCTION archipel_map_points_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_points (id, point_3857, slug, name, category, status, confirmed_on)
    SELECT id, point_3857, slug, name, category_slugs[1], status,
           (coalesce(last_confirmed_at, created_at) AT TIME ZONE 'UTC')::date
    FROM new_rows WHERE moderation = 'published';
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION archipel_map_points_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose map values changed (most updates touch none of them).
    DELETE FROM map_points m
    USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE m.id = n.id
      AND (o.point_3857, o.slug, o.name, o.category_slugs[1], o.status, o.moderation,
           (coalesce(o.last_confirmed_at, o.created_at) AT TIME ZONE 'UTC')::date)
          IS DISTINCT FROM (n.point_3857, n.slug, n.name, n.category_slugs[1], n.status, n.moderation,
           (coalesce(n.last_confirmed_at, n.created_at) AT TIME ZONE 'UTC')::date);
    INSERT INTO map_points (id, point_3857, slug, name, category, status, confirmed_on)
    SELECT n.id, n.point_3857, n.slug, n.name, n.category_slugs[1], n.status,
           (coalesce(n.last_confirmed_at, n.created_at) AT TIME ZONE 'UTC')::date
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE n.moderation = 'published'
      AND (o.point_3857, o.slug, o.name, o.category_slugs[1], o.status, o.moderation,
           (coalesce(o.last_confirmed_at, o.created_at) AT TIME ZONE 'UTC')::date)
          IS DISTINCT FROM (n.point_3857, n.slug, n.name, n.category_slugs[1], n.status, n.moderation,
           (coalesce(n.last_confirmed_at, n.created_at) AT TIME ZONE 'UTC')::date);
    RETURN NULL;
END $$;
