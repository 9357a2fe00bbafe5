-- Revisions store what changed (#13), not the whole initiative twice: `old_values` and
-- `new_values` hold, for the fields that differ, their value before and after the change
-- (properties by name, and `geometry`); a creation stores neither. The whole Features a history
-- shows are rebuilt from the current initiative, undoing the newer revisions one by one
-- (`revision::list`). At 100k imported initiatives this is ~1.4 KB less per initiative (the
-- creation's Feature as jsonb) and no JSON built for the creations of an import.

-- A Feature's fields as one object: its properties and its geometry.
CREATE FUNCTION archipel_feature_fields(doc jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN coalesce(doc -> 'properties', '{}'::jsonb) || jsonb_build_object('geometry', doc -> 'geometry');

-- The fields of `a` whose value differs in `b`, with their value in `a` (null when `a` lacks one).
CREATE FUNCTION archipel_changed_values(a jsonb, b jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT coalesce(jsonb_object_agg(coalesce(x.key, y.key), coalesce(x.value, 'null'::jsonb)), '{}'::jsonb)
        FROM jsonb_each(archipel_feature_fields(a)) AS x
        FULL JOIN jsonb_each(archipel_feature_fields(b)) AS y ON y.key = x.key
        WHERE x.value IS DISTINCT FROM y.value
    );

-- `doc` with the fields of `changed` set (the inverse of the above, given `changed`'s side).
CREATE FUNCTION archipel_apply_values(doc jsonb, changed jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN changed IS NULL THEN doc ELSE
        jsonb_set(jsonb_set(doc, '{properties}', coalesce(doc -> 'properties', '{}'::jsonb) || (changed - 'geometry')),
                  '{geometry}', coalesce(CASE WHEN changed ? 'geometry' THEN changed -> 'geometry' ELSE doc -> 'geometry' END, 'null'::jsonb))
    END;

ALTER TABLE revisions RENAME COLUMN before TO old_values;
ALTER TABLE revisions RENAME COLUMN after TO new_values;
ALTER TABLE revisions ALTER COLUMN new_values DROP NOT NULL;
UPDATE revisions SET old_values = CASE WHEN old_values IS NOT NULL THEN archipel_changed_values(old_values, new_values) END,
                     new_values = CASE WHEN old_values IS NOT NULL THEN archipel_changed_values(new_values, old_values) END;
ALTER TABLE revisions ADD CONSTRAINT revisions_values_check CHECK ((old_values IS NULL) = (new_values IS NULL));

COMMENT ON COLUMN revisions.old_values IS
    'the changed fields (properties by name, and geometry) before the change; null for a creation';
COMMENT ON COLUMN revisions.new_values IS
    'the changed fields after the change; null for a creation';
