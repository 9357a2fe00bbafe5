-- Map notifications say where the map changed, so that servers forget only the tiles there.
-- The payload of `archipel_map` is now:
--   'p:x y,x y,…'        the changed points in Web Mercator metres (up to 64: old and new
--                         positions of the rows a statement touched);
--   'b:xmin ymin xmax ymax' the box around them when there are more;
--   '*'                   anything may have changed (categories, TRUNCATE): forget every tile.
-- An empty payload (older servers' triggers) still means everything.
CREATE FUNCTION archipel_map_area(points geometry[]) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN cardinality(points) IS NULL OR cardinality(points) = 0 THEN NULL
        WHEN cardinality(points) <= 64 THEN
            'p:' || (SELECT string_agg(round(ST_X(p))::bigint || ' ' || round(ST_Y(p))::bigint, ',')
                     FROM unnest(points) AS p)
        ELSE
            (SELECT 'b:' || floor(ST_XMin(e))::bigint || ' ' || floor(ST_YMin(e))::bigint || ' '
                    || ceil(ST_XMax(e))::bigint || ' ' || ceil(ST_YMax(e))::bigint
             FROM (SELECT ST_Extent(p) AS e FROM unnest(points) AS p) AS t)
    END
$$;

CREATE OR REPLACE FUNCTION archipel_map_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    area text;
BEGIN
    SELECT archipel_map_area(array_agg(point_3857)) INTO area FROM changed;
    IF area IS NOT NULL THEN
        PERFORM pg_notify('archipel_map', area);
    END IF;
    RETURN NULL;
END $$;

-- An update moves points: both the old and the new positions changed.
CREATE FUNCTION archipel_map_moved() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    area text;
BEGIN
    SELECT archipel_map_area(array_agg(p)) INTO area FROM (
        SELECT point_3857 AS p FROM changed
        UNION
        SELECT point_3857 FROM previous) AS moved;
    IF area IS NOT NULL THEN
        PERFORM pg_notify('archipel_map', area);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION archipel_map_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('archipel_map', '*');
    RETURN NULL;
END $$;

DROP TRIGGER map_points_updated ON map_points;
CREATE TRIGGER map_points_updated AFTER UPDATE ON map_points
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_moved();
