CREATE OR REPLACE FUNCTION archipel_map_points_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_points (id, point_3857, slug, name, category, status)
    SELECT id, point_3857, slug, name, category_slugs[1], status FROM new_rows WHERE moderation = 'published';
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION archipel_map_points_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose map values changed (most updates touch none of them).
    DELETE FROM map_points m
    USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE m.id = n.id
      AND (o.point_3857, o.slug, o.name, o.category_slugs[1], o.status, o.moderation)
          IS DISTINCT FROM (n.point_3857, n.slug, n.name, n.category_slugs[1], n.status, n.moderation);
    INSERT INTO map_points (id, point_3857, slug, name, category, status)
    SELECT n.id, n.point_3857, n.slug, n.name, n.category_slugs[1], n.status
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE n.moderation = 'published'
      AND (o.point_3857, o.slug, o.name, o.category_slugs[1], o.status, o.moderation)
          IS DISTINCT FROM (n.point_3857, n.slug, n.name, n.category_slugs[1], n.status, n.moderation);
    RETURN NULL;
END $$;

ALTER TABLE map_points DROP COLUMN confirmed_on;
