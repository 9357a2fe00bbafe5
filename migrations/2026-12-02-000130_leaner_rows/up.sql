-- Leaner rows (#13).
--
-- 1. The index of points as geography served two queries: `near` (a circle in metres) and the
--    import's duplicate search (150 m). Both now find candidates with the point index in a box
--    of degrees around the centre (store/src/listing.rs `near_box`, store/src/sync.rs) and
--    measure on the sphere only those: a probe of the geography index cost ~58 µs, 100k of them
--    at each first import of 100k; the index took ~100 bytes per initiative.
DROP INDEX initiatives_point_geog_idx;

-- The index of the initiatives' Web Mercator points served nothing: tiles read `map_points`,
-- which has its own. The column stays (the map points copy it).
DROP INDEX initiatives_point_3857_idx;

-- 2. Values stored compressed (the stored Feature and search vector of most initiatives,
--    revisions of long descriptions) use lz4 rather than pglz: about as small, several times
--    faster to compress. Values already stored stay as they are until rewritten.
ALTER TABLE initiatives ALTER COLUMN feature SET COMPRESSION lz4,
                        ALTER COLUMN search SET COMPRESSION lz4,
                        ALTER COLUMN description SET COMPRESSION lz4;
ALTER TABLE revisions ALTER COLUMN old_values SET COMPRESSION lz4,
                      ALTER COLUMN new_values SET COMPRESSION lz4;
