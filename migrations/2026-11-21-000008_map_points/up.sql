-- What the map's vector tiles read: one narrow row per published initiative. A tile over a dense
-- region then reads tens of megabytes instead of the wide initiatives rows (about 2.6 KB each
-- with their description, stored Feature and search vector). Kept in step by triggers.
CREATE TABLE map_points (
    id         uuid PRIMARY KEY REFERENCES initiatives (id),
    point_3857 geometry(Point, 3857) NOT NULL,
    slug       text NOT NULL,
    name       text NOT NULL,
    -- Main category slug.
    category   text,
    status     text NOT NULL
);
CREATE INDEX map_points_point_idx ON map_points USING gist (point_3857);
CREATE UNIQUE INDEX map_points_slug_idx ON map_points (slug);

CREATE FUNCTION archipel_map_points_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_points (id, point_3857, slug, name, category, status)
    SELECT id, point_3857, slug, name, category_slugs[1], status FROM new_rows WHERE moderation = 'published';
    RETURN NULL;
END $$;
CREATE TRIGGER initiatives_map_insert AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_points_insert();

CREATE FUNCTION archipel_map_points_update() RETURNS trigger
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
CREATE TRIGGER initiatives_map_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_points_update();

INSERT INTO map_points (id, point_3857, slug, name, category, status)
SELECT id, point_3857, slug, name, category_slugs[1], status FROM initiatives WHERE moderation = 'published';
