ALTER TABLE revisions ALTER COLUMN old_values SET COMPRESSION default,
                      ALTER COLUMN new_values SET COMPRESSION default;
ALTER TABLE initiatives ALTER COLUMN feature SET COMPRESSION default,
                        ALTER COLUMN search SET COMPRESSION default,
                        ALTER COLUMN description SET COMPRESSION default;
CREATE INDEX initiatives_point_geog_idx ON initiatives USING gist ((point::geography));
CREATE INDEX initiatives_point_3857_idx ON initiatives USING gist (point_3857);
