DROP TRIGGER categories_changed ON categories;
DROP TRIGGER map_points_truncated ON map_points;
DROP TRIGGER map_points_deleted ON map_points;
DROP TRIGGER map_points_updated ON map_points;
DROP TRIGGER map_points_inserted ON map_points;
DROP FUNCTION archipel_map_notify();
DROP FUNCTION archipel_map_changed();
