DROP TRIGGER map_points_updated ON map_points;
CREATE TRIGGER map_points_updated AFTER UPDATE ON map_points
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_changed();
DROP FUNCTION archipel_map_moved();

CREATE OR REPLACE FUNCTION archipel_map_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        PERFORM pg_notify('archipel_map', '');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION archipel_map_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('archipel_map', '');
    RETURN NULL;
END $$;

DROP FUNCTION archipel_map_area(geometry[]);
