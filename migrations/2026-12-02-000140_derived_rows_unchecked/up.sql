-- Rows derived from an initiative in the transaction that writes it (#13): its map point, its
-- category links, its revisions, its import digest. Their foreign keys to `initiatives` checked
-- each new row by looking the initiative up and locking it (FOR KEY SHARE): at a first import of
-- 100k, 400k lookups and 100k row locks written to the WAL (~90 MB with their page images),
-- 5–7 s of the run. They guarded nothing the code does not already: these rows are written from
-- the initiative itself, and an initiative is never deleted (archived, withdrawn or merged
-- instead) — which a trigger now enforces, so none of them can lose its initiative.
ALTER TABLE map_points DROP CONSTRAINT map_points_id_fkey;
ALTER TABLE initiative_categories DROP CONSTRAINT initiative_categories_initiative_id_fkey;
ALTER TABLE revisions DROP CONSTRAINT revisions_initiative_id_fkey;
ALTER TABLE import_digests DROP CONSTRAINT import_digests_initiative_id_fkey;

CREATE FUNCTION archipel_refuse_deletion() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'initiatives are never deleted: archive, withdraw or merge them instead'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER initiatives_never_deleted BEFORE DELETE ON initiatives
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_refuse_deletion();
CREATE TRIGGER initiatives_never_truncated BEFORE TRUNCATE ON initiatives
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_refuse_deletion();

-- A new initiative has no category link yet: its links go in without the speculative insertion
-- of ON CONFLICT (a slug listed twice keeps its first position).
CREATE OR REPLACE FUNCTION archipel_link_new_categories() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) AS s(slug)
               WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.slug = s.slug)) THEN
        RAISE EXCEPTION 'unknown category slug in category_slugs' USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO initiative_categories (initiative_id, category_id, position)
    SELECT DISTINCT ON (r.id, c.id) r.id, c.id, (s.ord - 1)::smallint
    FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) WITH ORDINALITY AS s(slug, ord)
    JOIN categories c ON c.slug = s.slug
    ORDER BY r.id, c.id, s.ord;
    RETURN NULL;
END $$;
