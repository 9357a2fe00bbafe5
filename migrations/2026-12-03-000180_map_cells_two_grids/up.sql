-- Kept cells for z9 and z10 too.
--
-- Tiles up to z8 add up the kept cells of migration 150; from z9 on they aggregated the points
-- themselves. Over a dense region that is the slowest tile of the map: at 1M, the z10 tile over
-- Paris holds 167,913 points, 0.46 s with its pages in memory and 2.6 to over 5 s from disk (a
-- request answered 503 in a benchmark run). `map_cells` now keeps a second, finer grid: `level`
-- 8 is the z8 grid as before (4096 × 4096 cells over the world), `level` 10 the z10 grid (16384 ×
-- 16384, 2.4 km of Mercator metres). Tiles up to z8 read level 8, z9 and z10 read level 10: the
-- same z10 tile adds up 5,606 rows in 14 ms. Level 10 has about twice the rows of level 8 (223k
-- against 111k at 1M); low zooms keep reading level 8 only.
ALTER TABLE map_cells ADD COLUMN level smallint NOT NULL DEFAULT 8;
ALTER TABLE map_cells ALTER COLUMN level DROP DEFAULT;
DROP INDEX map_cells_cell_idx;
CREATE INDEX map_cells_cell_idx ON map_cells (level, gx, gy);

-- The width of a cell of the grid of zoom `level` (16 cells a tile side), in Mercator metres.
CREATE FUNCTION archipel_map_cell_width(level integer) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 40075016.685578488 / (16 << level)
$$;

-- The cell column or row, in the grid of zoom `level`, of a Web Mercator coordinate (x, or y from
-- the south).
CREATE FUNCTION archipel_map_cell(level integer, v float8) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(floor((v + 20037508.342789244) / archipel_map_cell_width(level)), 0),
                 (16 << level) - 1)::integer
$$;

CREATE OR REPLACE FUNCTION archipel_map_cell(v float8) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT archipel_map_cell(8, v)
$$;

-- Both grids, from the same rows, in one statement each way.
CREATE OR REPLACE FUNCTION archipel_map_cells_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO map_cells (level, gx, gy, category, n, sx, sy)
        SELECT l.level, archipel_map_cell(l.level, ST_X(point_3857)), archipel_map_cell(l.level, ST_Y(point_3857)),
               category, -count(*), -sum(ST_X(point_3857)), -sum(ST_Y(point_3857))
        FROM old_rows, (VALUES (8), (10)) AS l (level) GROUP BY 1, 2, 3, 4;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO map_cells (level, gx, gy, category, n, sx, sy, x0, y0, x1, y1)
        SELECT l.level, archipel_map_cell(l.level, ST_X(point_3857)), archipel_map_cell(l.level, ST_Y(point_3857)),
               category, count(*), sum(ST_X(point_3857)), sum(ST_Y(point_3857)),
               min(ST_X(point_3857)), min(ST_Y(point_3857)), max(ST_X(point_3857)), max(ST_Y(point_3857))
        FROM new_rows, (VALUES (8), (10)) AS l (level) GROUP BY 1, 2, 3, 4;
    END IF;
    RETURN NULL;
END $$;

-- As in migration 150, each grid on its own.
CREATE OR REPLACE FUNCTION archipel_compact_map_cells() RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    area text;
BEGIN
    WITH gone AS (
        DELETE FROM map_cells WHERE ctid IN (
            SELECT ctid FROM (SELECT ctid, count(*) OVER (PARTITION BY level, gx, gy, category) AS k FROM map_cells) AS c
            WHERE k > 1)
        RETURNING *
    ), folded AS (
        SELECT level, gx, gy, category, sum(n)::integer AS n, sum(sx) AS sx, sum(sy) AS sy,
               min(x0) AS x0, min(y0) AS y0, max(x1) AS x1, max(y1) AS y1, bool_or(n < 0) AS shrank
        FROM gone GROUP BY level, gx, gy, category HAVING sum(n) <> 0
    ), settled AS (
        SELECT f.level, f.gx, f.gy, f.category, f.n, f.sx, f.sy, f.shrank,
               f.x0 AS bx0, f.y0 AS by0, f.x1 AS bx1, f.y1 AS by1,
               coalesce(e.x0, f.x0) AS x0, coalesce(e.y0, f.y0) AS y0,
               coalesce(e.x1, f.x1) AS x1, coalesce(e.y1, f.y1) AS y1
        FROM folded f
        LEFT JOIN LATERAL (
            SELECT min(ST_X(m.point_3857)) AS x0, min(ST_Y(m.point_3857)) AS y0,
                   max(ST_X(m.point_3857)) AS x1, max(ST_Y(m.point_3857)) AS y1
            FROM (SELECT archipel_map_cell_width(f.level) AS w) AS cell, map_points m
            WHERE f.shrank AND m.point_3857 && ST_MakeEnvelope(
                      f.gx * cell.w - 20037508.342789244 - 1, f.gy * cell.w - 20037508.342789244 - 1,
                      (f.gx + 1) * cell.w - 20037508.342789244 + 1, (f.gy + 1) * cell.w - 20037508.342789244 + 1,
                      3857)
              AND archipel_map_cell(f.level, ST_X(m.point_3857)) = f.gx
              AND archipel_map_cell(f.level, ST_Y(m.point_3857)) = f.gy
              AND m.category IS NOT DISTINCT FROM f.category
        ) AS e ON true
    ), kept AS (
        INSERT INTO map_cells (level, gx, gy, category, n, sx, sy, x0, y0, x1, y1)
        SELECT level, gx, gy, category, n, sx, sy, x0, y0, x1, y1 FROM settled
    )
    SELECT archipel_map_area(array_agg(ST_SetSRID(ST_MakePoint((x0 + x1) / 2, (y0 + y1) / 2), 3857)))
    INTO area
    FROM settled
    WHERE shrank AND (x0, y0, x1, y1) IS DISTINCT FROM (bx0, by0, bx1, by1);
    IF area IS NOT NULL THEN
        PERFORM pg_notify('archipel_map', area);
    END IF;
END $$;

INSERT INTO map_cells (level, gx, gy, category, n, sx, sy, x0, y0, x1, y1)
SELECT 10, archipel_map_cell(10, ST_X(point_3857)), archipel_map_cell(10, ST_Y(point_3857)), category,
       count(*), sum(ST_X(point_3857)), sum(ST_Y(point_3857)),
       min(ST_X(point_3857)), min(ST_Y(point_3857)), max(ST_X(point_3857)), max(ST_Y(point_3857))
FROM map_points GROUP BY 2, 3, 4;
