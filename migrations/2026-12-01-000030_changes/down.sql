DROP TRIGGER initiatives_changes_update ON initiatives;
DROP TRIGGER initiatives_changes_insert ON initiatives;
DROP FUNCTION archipel_changes_updated();
DROP FUNCTION archipel_changes_inserted();
DROP TABLE changes;
DROP TABLE change_batches;
DROP FUNCTION archipel_number_change_batch();
DROP SEQUENCE change_batch_seq;
