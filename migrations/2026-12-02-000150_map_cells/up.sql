-- Low-zoom tiles from kept cells instead of every point.
--
-- A tile at zoom z ≤ 8 clusters its initiatives on 16 × 16 cells; aggregating every point it holds
-- took seconds at 1M for a tile over Paris, after every edit there. `map_cells` keeps, for each
-- cell of the z8 grid (the world cut into 4096 × 4096 cells, numbered from the west and from the
-- south) and each main category, how many published initiatives it holds, the sums of their
-- Web Mercator x and y, and their extent. A cell at zoom z is 2^(8−z) × 2^(8−z) of those, so a
-- tile adds up a few hundred or thousand rows whatever the number of points.
--
-- Rows are changes, appended by the triggers of `map_points` and never updated, so concurrent
-- writers (an import, an editor) never wait for each other here: an insertion adds a row with its
-- count, sums and extent; a removal a row with the count and sums negated and no extent.
-- `archipel_compact_map_cells()` folds them into one row per cell and category now and then.
-- An extent cannot shrink by adding rows: between two compactions it may still include a place
-- removed since (never more than one z8 cell, about 10 km of Mercator metres, beyond the points);
-- compaction computes it again from the points of each cell that lost some.
CREATE TABLE map_cells (
    gx       integer NOT NULL,
    gy       integer NOT NULL,
    category text,
    n        integer NOT NULL,
    sx       float8 NOT NULL,
    sy       float8 NOT NULL,
    x0       float8,
    y0       float8,
    x1       float8,
    y1       float8
);
CREATE INDEX map_cells_cell_idx ON map_cells (gx, gy);

-- The z8 cell column or row of a Web Mercator coordinate (x, or y from the south).
CREATE FUNCTION archipel_map_cell(v float8) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(floor((v + 20037508.342789244) / 9783.93962050256), 0), 4095)::integer
$$;

CREATE FUNCTION archipel_map_cells_change() RETURNS trigger
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
CREATE TRIGGER map_points_cells_insert AFTER INSERT ON map_points
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_cells_change();
CREATE TRIGGER map_points_cells_update AFTER UPDATE ON map_points
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_cells_change();
CREATE TRIGGER map_points_cells_delete AFTER DELETE ON map_points
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_cells_change();

CREATE FUNCTION archipel_map_cells_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE map_cells;
    RETURN NULL;
END $$;
CREATE TRIGGER map_points_cells_truncate AFTER TRUNCATE ON map_points
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_cells_truncate();

-- One row per cell and category, with exact extents again where places were removed. Rows other
-- transactions are writing are not seen, so not folded, and the points they add or remove are
-- not seen either: one statement, one snapshot, nothing counted twice. When an extent shrank,
-- the tiles there are told (`archipel_map`) so that servers build them again.
CREATE FUNCTION archipel_compact_map_cells() RETURNS void
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

INSERT INTO map_cells (gx, gy, category, n, sx, sy, x0, y0, x1, y1)
SELECT archipel_map_cell(ST_X(point_3857)), archipel_map_cell(ST_Y(point_3857)), category,
       count(*), sum(ST_X(point_3857)), sum(ST_Y(point_3857)),
       min(ST_X(point_3857)), min(ST_Y(point_3857)), max(ST_X(point_3857)), max(ST_Y(point_3857))
FROM map_points GROUP BY 1, 2, 3;
