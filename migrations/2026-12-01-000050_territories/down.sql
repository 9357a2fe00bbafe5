DROP TRIGGER initiatives_tally_delete ON initiatives;
DROP TRIGGER initiatives_tally_update ON initiatives;
DROP TRIGGER initiatives_tally_insert ON initiatives;
DROP FUNCTION archipel_tally_initiatives();
DROP TABLE territory_tallies;
DROP FUNCTION archipel_category_closure(text[]);
DROP FUNCTION archipel_assign_territories();
DROP TRIGGER initiatives_locate ON initiatives;
DROP FUNCTION archipel_locate_initiative();
DROP FUNCTION archipel_locate(geometry);
ALTER TABLE initiatives
    DROP COLUMN region_code,
    DROP COLUMN departement_code,
    DROP COLUMN epci_code,
    DROP COLUMN commune_code;
DROP TABLE territories;
