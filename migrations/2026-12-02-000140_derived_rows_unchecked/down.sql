CREATE OR REPLACE FUNCTION archipel_link_new_categories() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) AS s(slug)
               WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.slug = s.slug)) THEN
        RAISE EXCEPTION 'unknown category slug in category_slugs' USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO initiative_categories (initiative_id, category_id, position)
    SELECT r.id, c.id, (s.ord - 1)::smallint
    FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) WITH ORDINALITY AS s(slug, ord)
    JOIN categories c ON c.slug = s.slug
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
DROP TRIGGER initiatives_never_truncated ON initiatives;
DROP TRIGGER initiatives_never_deleted ON initiatives;
DROP FUNCTION archipel_refuse_deletion();
ALTER TABLE import_digests ADD CONSTRAINT import_digests_initiative_id_fkey
    FOREIGN KEY (initiative_id) REFERENCES initiatives (id) ON DELETE CASCADE;
ALTER TABLE revisions ADD CONSTRAINT revisions_initiative_id_fkey
    FOREIGN KEY (initiative_id) REFERENCES initiatives (id);
ALTER TABLE initiative_categories ADD CONSTRAINT initiative_categories_initiative_id_fkey
    FOREIGN KEY (initiative_id) REFERENCES initiatives (id);
ALTER TABLE map_points ADD CONSTRAINT map_points_id_fkey
    FOREIGN KEY (id) REFERENCES initiatives (id);
