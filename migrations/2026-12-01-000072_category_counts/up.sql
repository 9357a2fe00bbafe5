-- Category counts kept as they change, so that `/api/v1/categories` adds up a few rows instead of
-- counting every published initiative after each change (about a second at 1M).
--
-- An initiative counts once for each category it has and for each ancestor of those (a family
-- counts an initiative with two of its practices once), while it is on the map (`map_points`
-- holds exactly the published ones). Triggers append the changes of those counts to
-- `category_count_deltas`, never updating a shared row, so concurrent writers (an import, an
-- editor) never wait for each other here; `archipel_compact_category_counts()` folds the rows
-- into one per category now and then.
CREATE TABLE category_count_deltas (
    category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    delta       bigint NOT NULL
);
CREATE INDEX category_count_deltas_category_idx ON category_count_deltas (category_id);

-- Every category with each of its ancestors and itself.
CREATE FUNCTION archipel_category_ancestry() RETURNS TABLE (ancestor integer, descendant integer)
    LANGUAGE sql STABLE AS $$
    WITH RECURSIVE closure (ancestor, descendant) AS (
        SELECT id, id FROM categories
        UNION ALL
        SELECT cl.ancestor, c.id FROM closure cl JOIN categories c ON c.parent_id = cl.descendant
    )
    SELECT ancestor, descendant FROM closure
$$;

-- Counts everything again (at this migration, and when the taxonomy changes).
CREATE FUNCTION archipel_recount_category_counts() RETURNS void
    LANGUAGE sql AS $$
    DELETE FROM category_count_deltas;
    INSERT INTO category_count_deltas (category_id, delta)
    SELECT cl.ancestor, count(DISTINCT ic.initiative_id)
    FROM archipel_category_ancestry() cl
    JOIN initiative_categories ic ON ic.category_id = cl.descendant
    JOIN map_points m ON m.id = ic.initiative_id
    GROUP BY cl.ancestor;
$$;

-- On the map or off it: +1 / −1 for every category the initiative counts for now.
CREATE FUNCTION archipel_count_map_points() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO category_count_deltas (category_id, delta)
    SELECT cl.ancestor, CASE WHEN TG_OP = 'INSERT' THEN count(*) ELSE -count(*) END
    FROM (SELECT DISTINCT cl.ancestor, ic.initiative_id
          FROM changed ch
          JOIN initiative_categories ic ON ic.initiative_id = ch.id
          JOIN archipel_category_ancestry() cl ON cl.descendant = ic.category_id) AS cl
    GROUP BY cl.ancestor;
    RETURN NULL;
END $$;
CREATE TRIGGER map_points_count_insert AFTER INSERT ON map_points
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_count_map_points();
CREATE TRIGGER map_points_count_delete AFTER DELETE ON map_points
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_count_map_points();

-- Links added to or removed from initiatives on the map: the categories they count for with the
-- links as they are now, against the links as they were.
CREATE FUNCTION archipel_count_links() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    WITH touched AS (
        SELECT DISTINCT ch.initiative_id AS id FROM changed ch JOIN map_points m ON m.id = ch.initiative_id
    ), now_links AS (
        SELECT ic.initiative_id, ic.category_id FROM initiative_categories ic JOIN touched t ON t.id = ic.initiative_id
    ), before_links AS (
        -- Before an insert: without the inserted rows; before a delete: with the deleted rows.
        SELECT n.initiative_id, n.category_id FROM now_links n
        WHERE TG_OP = 'DELETE' OR NOT EXISTS (
            SELECT 1 FROM changed ch WHERE ch.initiative_id = n.initiative_id AND ch.category_id = n.category_id)
        UNION
        SELECT ch.initiative_id, ch.category_id FROM changed ch JOIN touched t ON t.id = ch.initiative_id
        WHERE TG_OP = 'DELETE'
    ), now_counts AS (
        SELECT DISTINCT n.initiative_id, cl.ancestor FROM now_links n
        JOIN archipel_category_ancestry() cl ON cl.descendant = n.category_id
    ), before_counts AS (
        SELECT DISTINCT b.initiative_id, cl.ancestor FROM before_links b
        JOIN archipel_category_ancestry() cl ON cl.descendant = b.category_id
    ), moves AS (
        SELECT ancestor, 1 AS d FROM (SELECT * FROM now_counts EXCEPT SELECT * FROM before_counts) AS gained
        UNION ALL
        SELECT ancestor, -1 FROM (SELECT * FROM before_counts EXCEPT SELECT * FROM now_counts) AS lost
    )
    INSERT INTO category_count_deltas (category_id, delta)
    SELECT ancestor, sum(d) FROM moves GROUP BY ancestor HAVING sum(d) <> 0;
    RETURN NULL;
END $$;
CREATE TRIGGER initiative_categories_count_insert AFTER INSERT ON initiative_categories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_count_links();
CREATE TRIGGER initiative_categories_count_delete AFTER DELETE ON initiative_categories
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_count_links();

-- The taxonomy itself changed (a practice moved to another family): count again.
CREATE FUNCTION archipel_recount_after_taxonomy() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM archipel_recount_category_counts();
    RETURN NULL;
END $$;
CREATE TRIGGER categories_recount AFTER INSERT OR UPDATE OF parent_id OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_recount_after_taxonomy();
CREATE TRIGGER map_points_recount_truncate AFTER TRUNCATE ON map_points
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_recount_after_taxonomy();

-- Fold the rows into one per category (rows other transactions are writing are left alone).
CREATE FUNCTION archipel_compact_category_counts() RETURNS void
    LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM category_count_deltas RETURNING category_id, delta)
    INSERT INTO category_count_deltas (category_id, delta)
    SELECT category_id, sum(delta) FROM gone GROUP BY category_id HAVING sum(delta) <> 0;
$$;

SELECT archipel_recount_category_counts();
