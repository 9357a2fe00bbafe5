-- Whole Features again: rebuilt from each initiative's current Feature, newest revision first.
ALTER TABLE revisions DROP CONSTRAINT revisions_values_check;
ALTER TABLE revisions ADD COLUMN before jsonb, ADD COLUMN after jsonb;
DO $$
DECLARE
    r record;
    state jsonb;
    after_doc jsonb;
    before_doc jsonb;
    current_id uuid;
BEGIN
    FOR r IN SELECT v.id, v.initiative_id, v.old_values, v.new_values, i.feature::jsonb AS feature
             FROM revisions v JOIN initiatives i ON i.id = v.initiative_id
             ORDER BY v.initiative_id, v.id DESC LOOP
        IF current_id IS DISTINCT FROM r.initiative_id THEN
            current_id := r.initiative_id;
            state := r.feature;
        END IF;
        after_doc := archipel_apply_values(state, r.new_values);
        before_doc := CASE WHEN r.old_values IS NOT NULL THEN archipel_apply_values(after_doc, r.old_values) END;
        UPDATE revisions SET before = before_doc, after = after_doc WHERE id = r.id;
        IF before_doc IS NOT NULL THEN
            state := before_doc #- '{properties,initiative_links}';
        END IF;
    END LOOP;
END $$;
ALTER TABLE revisions DROP COLUMN old_values, DROP COLUMN new_values;
ALTER TABLE revisions ALTER COLUMN after SET NOT NULL;
DROP FUNCTION archipel_apply_values(jsonb, jsonb);
DROP FUNCTION archipel_changed_values(jsonb, jsonb);
DROP FUNCTION archipel_feature_fields(jsonb);
