DROP TRIGGER initiative_links_changes_update ON initiative_links;
DROP TRIGGER initiative_links_changes_insert ON initiative_links;
DROP FUNCTION archipel_unlink_changes();
DROP FUNCTION archipel_link_changes();
DELETE FROM changes WHERE change IN ('linked', 'unlinked');
ALTER TABLE changes DROP COLUMN link_id;
ALTER TABLE changes DROP CONSTRAINT changes_change_check;
ALTER TABLE changes ADD CONSTRAINT changes_change_check
    CHECK (change IN ('created', 'updated', 'deleted', 'merged'));
