-- Back to one grid (z8): the rows of the z10 grid go, the functions of migration 150 return.
DELETE FROM map_cells WHERE level <> 8;
CREATE OR REPLACE FUNCTION archipel_map_cells_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO map_cells (gx, gy, category, n, sx, sy)
        SELECT archipel_map_cell(ST_X(point_3857)), archipel_map_cell(ST_Y(point_3857)), category,
               -count(*), -sum(ST_X(point_3857)), -sum(ST_Y(point_3857))
        FROM old_rows GROUP BY 1, 2, 3;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO map_cells (gx, gy, category, n, sx, sy, x0, y0, x1, y1)
        SELECT archipel_map_cell(ST_X(point_3857)), archipel_map_cell(ST_Y(point_3857)), category,
               count(*), sum(ST_X(point_3857)), sum(ST_Y(point_3857)),
               min(ST_X(point_3857)), min(ST_Y(point_3857)), max(ST_X(point_3857)), max(ST_Y(point_3857))
        FROM new_rows GROUP BY 1, 2, 3;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION archipel_compact_map_cells() RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    area text;
BEGIN
    WITH gone AS (
        -- Only the cells and categories with several rows: a quiet map writes nothing.
        DELETE FROM map_cells WHERE ctid IN (
            SELECT ctid FROM (SELECT ctid, count(*) OVER (PARTITION BY gx, gy, category) AS k FROM map_cells) AS c
            WHERE k > 1)
        RETURNING *
    ), folded AS (
        SELECT gx, gy, category, sum(n)::integer AS n, sum(sx) AS sx, sum(sy) AS sy,
               min(x0) AS x0, min(y0) AS y0, max(x1) AS x1, max(y1) AS y1, bool_or(n < 0) AS shrank
        FROM gone GROUP BY gx, gy, category HAVING sum(n) <> 0
    ), settled AS (
        SELECT f.gx, f.gy, f.category, f.n, f.sx, f.sy, f.shrank,
               f.x0 AS bx0, f.y0 AS by0, f.x1 AS bx1, f.y1 AS by1,
               coalesce(e.x0, f.x0) AS x0, coalesce(e.y0, f.y0) AS y0,
               coalesce(e.x1, f.x1) AS x1, coalesce(e.y1, f.y1) AS y1
        FROM folded f
        LEFT JOIN LATERAL (
            SELECT min(ST_X(m.point_3857)) AS x0, min(ST_Y(m.point_3857)) AS y0,
                   max(ST_X(m.point_3857)) AS x1, max(ST_Y(m.point_3857)) AS y1
            FROM map_points m
            WHERE f.shrank AND m.point_3857 && ST_MakeEnvelope(
                      f.gx * 9783.93962050256 - 20037508.342789244 - 1, f.gy * 9783.93962050256 - 20037508.342789244 - 1,
                      (f.gx + 1) * 9783.93962050256 - 20037508.342789244 + 1, (f.gy + 1) * 9783.93962050256 - 20037508.342789244 + 1,
                      3857)
              AND archipel_map_cell(ST_X(m.point_3857)) = f.gx AND archipel_map_cell(ST_Y(m.point_3857)) = f.gy
              AND m.category IS NOT DISTINCT FROM f.category
        ) AS e ON true
    ), kept AS (
        INSERT INTO map_cells (gx, gy, category, n, sx, sy, x0, y0, x1, y1)
        SELECT gx, gy, category, n, sx, sy, x0, y0, x1, y1 FROM settled
    )
    SELECT archipel_map_area(array_agg(ST_SetSRID(ST_MakePoint((x0 + x1) / 2, (y0 + y1) / 2), 3857)))
    INTO area
    FROM settled
    WHERE shrank AND (x0, y0, x1, y1) IS DISTINCT FROM (bx0, by0, bx1, by1);
    IF area IS NOT NULL THEN
        PERFORM pg_notify('archipel_map', area);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION archipel_map_cell(v float8) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(floor((v + 20037508.342789244) / 9783.93962050256), 0), 4095)::integer
$$;

DROP FUNCTION archipel_map_cell(integer, float8);
DROP FUNCTION archipel_map_cell_width(integer);
DROP INDEX map_cells_cell_idx;
ALTER TABLE map_cells DROP COLUMN level;
CREATE INDEX map_cells_cell_idx ON map_cells (gx, gy);
