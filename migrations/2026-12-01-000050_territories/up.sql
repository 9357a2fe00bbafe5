-- Territories (communes, EPCI, départements, régions) and which of them each initiative is in.
--
-- `territories` holds the boundaries imported by `archipel territory import` (Etalab "contours
-- administratifs" GeoJSON), one row per level and code with the millésime it came from. Region
-- codes collide with département codes ("53" is Mayenne and Bretagne), so a territory is
-- identified by (level, code).
CREATE TABLE territories (
    level       text NOT NULL CHECK (level IN ('commune', 'epci', 'departement', 'region')),
    code        text NOT NULL CHECK (code ~ '^[0-9A-Z]{2,9}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    population  integer CHECK (population >= 0),
    -- Parents, by code (as the Etalab files give them for communes; départements carry region).
    epci        text,
    departement text,
    region      text,
    -- The millésime (year of the reference) of the imported file.
    year        smallint,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (level, code)
);
CREATE INDEX territories_geom_idx ON territories USING gist (geom);
CREATE INDEX territories_code_idx ON territories (code);
CREATE INDEX territories_epci_idx ON territories (epci) WHERE epci IS NOT NULL;
CREATE INDEX territories_departement_idx ON territories (departement) WHERE departement IS NOT NULL;
CREATE INDEX territories_region_idx ON territories (region) WHERE region IS NOT NULL;
CREATE INDEX territories_name_trgm_idx ON territories USING gin (archipel_unaccent(lower(name)) gin_trgm_ops);

-- Where an initiative is, at every level: kept by the trigger below on every write, and by
-- `archipel_assign_territories()` after a territory import. Plain columns, so that a filter on a
-- territory is an index lookup.
ALTER TABLE initiatives
    ADD COLUMN commune_code     text,
    ADD COLUMN epci_code        text,
    ADD COLUMN departement_code text,
    ADD COLUMN region_code      text;
CREATE INDEX initiatives_commune_code_idx ON initiatives (commune_code) WHERE commune_code IS NOT NULL;
CREATE INDEX initiatives_epci_code_idx ON initiatives (epci_code) WHERE epci_code IS NOT NULL;
CREATE INDEX initiatives_departement_code_idx ON initiatives (departement_code) WHERE departement_code IS NOT NULL;
CREATE INDEX initiatives_region_code_idx ON initiatives (region_code) WHERE region_code IS NOT NULL;

-- The codes [commune, epci, departement, region] of the territories holding point `p`. The
-- commune decides (point in polygon); higher levels come from the commune's parent codes, else
-- from their own boundaries; the région also from the département's. On a shared border the
-- smallest code wins, so the answer never depends on the plan.
CREATE FUNCTION archipel_locate(p geometry) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH c AS (SELECT code, epci, departement, region FROM territories
               WHERE level = 'commune' AND ST_Covers(geom, p) ORDER BY code LIMIT 1),
         d AS (SELECT coalesce((SELECT departement FROM c),
                               (SELECT code FROM territories WHERE level = 'departement' AND ST_Covers(geom, p)
                                ORDER BY code LIMIT 1)) AS code)
    SELECT ARRAY[
        (SELECT code FROM c),
        coalesce((SELECT epci FROM c),
                 (SELECT code FROM territories WHERE level = 'epci' AND ST_Covers(geom, p) ORDER BY code LIMIT 1)),
        (SELECT code FROM d),
        coalesce((SELECT region FROM c),
                 (SELECT t.region FROM territories t, d WHERE t.level = 'departement' AND t.code = d.code),
                 (SELECT code FROM territories WHERE level = 'region' AND ST_Covers(geom, p) ORDER BY code LIMIT 1))]
$$;

-- Every write: the territories of a new or moved initiative; `insee_code` filled when empty, and
-- kept following the commune when it was the located one (a code given by a person or a feed
-- that differs is theirs and stays).
CREATE FUNCTION archipel_locate_initiative() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    codes text[];
BEGIN
    -- Most updates move nothing: they keep their territories (the codes set by
    -- archipel_assign_territories() included).
    IF TG_OP = 'UPDATE' AND NEW.geom = OLD.geom
       AND (NEW.insee_code IS NOT NULL OR NEW.commune_code IS NULL) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' AND NOT EXISTS (SELECT 1 FROM territories) THEN
        RETURN NEW;
    END IF;
    codes := archipel_locate(ST_PointOnSurface(NEW.geom));
    NEW.commune_code := codes[1];
    NEW.epci_code := codes[2];
    NEW.departement_code := codes[3];
    NEW.region_code := codes[4];
    IF NEW.insee_code IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.insee_code IS NOT DISTINCT FROM OLD.insee_code
           AND OLD.insee_code = OLD.commune_code) THEN
        NEW.insee_code := codes[1];
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER initiatives_locate BEFORE INSERT OR UPDATE ON initiatives
    FOR EACH ROW EXECUTE FUNCTION archipel_locate_initiative();

-- After a territory import: every initiative whose territories changed, in one statement.
CREATE FUNCTION archipel_assign_territories() RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    UPDATE initiatives i
    SET commune_code = l.codes[1], epci_code = l.codes[2], departement_code = l.codes[3],
        region_code = l.codes[4],
        insee_code = CASE WHEN i.insee_code IS NULL OR i.insee_code = i.commune_code
                          THEN l.codes[1] ELSE i.insee_code END
    FROM (SELECT x.id, archipel_locate(x.point) AS codes FROM initiatives x) AS l
    WHERE l.id = i.id
      AND (i.commune_code, i.epci_code, i.departement_code, i.region_code)
          IS DISTINCT FROM (l.codes[1], l.codes[2], l.codes[3], l.codes[4]);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END $$;

-- A category with all its ancestors, by slug (for counts per family as well as per practice).
CREATE FUNCTION archipel_category_closure(slugs text[]) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(
        WITH RECURSIVE up AS (
            SELECT id, parent_id, slug FROM categories WHERE slug = ANY (slugs)
            UNION
            SELECT c.id, c.parent_id, c.slug FROM categories c JOIN up ON c.id = up.parent_id
        )
        SELECT slug FROM up
    );

-- What the territory dashboards read: counts of published initiatives per territory, kept up to
-- date by the statement-level triggers below (a delta per write, never a recount).
--   level: commune | epci | departement | region | all (code '') ; code '*' = every initiative
--          located in some territory of that level (the reference for densities)
--   kind:  total (key '') | category (slug, practices and their families) |
--          created (month 'YYYY-MM') | confirmed (month of last_confirmed_at)
CREATE TABLE territory_tallies (
    level text NOT NULL,
    code  text NOT NULL,
    kind  text NOT NULL CHECK (kind IN ('total', 'category', 'created', 'confirmed')),
    key   text NOT NULL,
    n     integer NOT NULL,
    PRIMARY KEY (level, code, kind, key)
);

CREATE FUNCTION archipel_tally_initiatives() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    source text;
BEGIN
    source := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS d, n.* FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT -1 AS d, o.* FROM old_rows o'
        ELSE 'SELECT -1 AS d, o.* FROM old_rows o UNION ALL SELECT 1 AS d, n.* FROM new_rows n'
    END;
    EXECUTE format($q$
        INSERT INTO territory_tallies AS t (level, code, kind, key, n)
        SELECT l.level, l.code, k.kind, k.key, sum(r.d)::integer
        FROM (%s) AS r
        CROSS JOIN LATERAL (VALUES ('all', ''),
                                   ('commune', r.commune_code), ('epci', r.epci_code),
                                   ('departement', r.departement_code), ('region', r.region_code),
                                   ('commune', CASE WHEN r.commune_code IS NOT NULL THEN '*' END),
                                   ('epci', CASE WHEN r.epci_code IS NOT NULL THEN '*' END),
                                   ('departement', CASE WHEN r.departement_code IS NOT NULL THEN '*' END),
                                   ('region', CASE WHEN r.region_code IS NOT NULL THEN '*' END)) AS l(level, code)
        CROSS JOIN LATERAL (
            SELECT 'total' AS kind, '' AS key
            UNION ALL SELECT 'created', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM')
            UNION ALL SELECT 'confirmed', to_char(r.last_confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM')
                      WHERE r.last_confirmed_at IS NOT NULL
            UNION ALL SELECT 'category', s FROM unnest(archipel_category_closure(r.category_slugs)) AS s
        ) AS k
        WHERE r.moderation = 'published' AND l.code IS NOT NULL
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.d) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (level, code, kind, key) DO UPDATE SET n = t.n + excluded.n
    $q$, source);
    RETURN NULL;
END $$;
CREATE TRIGGER initiatives_tally_insert AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_tally_initiatives();
CREATE TRIGGER initiatives_tally_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_tally_initiatives();
CREATE TRIGGER initiatives_tally_delete AFTER DELETE ON initiatives
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_tally_initiatives();

-- The initiatives already there.
INSERT INTO territory_tallies (level, code, kind, key, n)
SELECT 'all', '', k.kind, k.key, count(*)
FROM initiatives r
CROSS JOIN LATERAL (
    SELECT 'total' AS kind, '' AS key
    UNION ALL SELECT 'created', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM')
    UNION ALL SELECT 'confirmed', to_char(r.last_confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM')
              WHERE r.last_confirmed_at IS NOT NULL
    UNION ALL SELECT 'category', s FROM unnest(archipel_category_closure(r.category_slugs)) AS s
) AS k
WHERE r.moderation = 'published'
GROUP BY 1, 2, 3, 4;
