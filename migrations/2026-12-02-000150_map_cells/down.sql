DROP TRIGGER map_points_cells_truncate ON map_points;
DROP TRIGGER map_points_cells_delete ON map_points;
DROP TRIGGER map_points_cells_update ON map_points;
DROP TRIGGER map_points_cells_insert ON map_points;
DROP FUNCTION archipel_map_cells_truncate();
DROP FUNCTION archipel_map_cells_change();
DROP FUNCTION archipel_compact_map_cells();
DROP FUNCTION archipel_map_cell(float8);
DROP TABLE map_cells;
