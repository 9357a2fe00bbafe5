-- Servers keep built map tiles in memory; they learn that the map changed from a notification on
-- the channel `archipel_map`, sent when a statement changed map_points or categories and delivered
-- at commit (several in one transaction are delivered as one).
CREATE FUNCTION archipel_map_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        PERFORM pg_notify('archipel_map', '');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION archipel_map_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('archipel_map', '');
    RETURN NULL;
END $$;

CREATE TRIGGER map_points_inserted AFTER INSERT ON map_points
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_changed();
CREATE TRIGGER map_points_updated AFTER UPDATE ON map_points
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_changed();
CREATE TRIGGER map_points_deleted AFTER DELETE ON map_points
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_changed();
CREATE TRIGGER map_points_truncated AFTER TRUNCATE ON map_points
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_notify();
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION archipel_map_notify();
