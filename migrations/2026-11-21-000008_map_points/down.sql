DROP TRIGGER initiatives_map_update ON initiatives;
DROP TRIGGER initiatives_map_insert ON initiatives;
DROP FUNCTION archipel_map_points_update();
DROP FUNCTION archipel_map_points_insert();
DROP TABLE map_points;
