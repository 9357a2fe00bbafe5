-- Back to the SQL-language Feature and the per-row category closure (same results).
CREATE OR REPLACE FUNCTION archipel_feature(
    id uuid, geom geometry, name text, slug text, description text, categories text[], street text, postcode text,
    city text, country_code text, insee_code text, website text, email text, phone text, links text[],
    opening_hours text, wheelchair text, tags text[], status text, moderation text, licence text, attribution text, source_id text,
    external_id text, source_url text, fetched_at timestamptz, last_confirmed_at timestamptz, created_at timestamptz,
    updated_at timestamptz
) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '{"type":"Feature","id":"' || id || '","geometry":' || ST_AsGeoJSON(ST_ForcePolygonCCW(geom), 6)
        || ',"properties":{"name":' || archipel_json(name)
        || ',"slug":' || archipel_json(slug)
        || ',"description":' || archipel_json(description)
        || ',"categories":' || archipel_json(categories)
        || ',"main_category":' || archipel_json(categories[1])
        || ',"street":' || archipel_json(street)
        || ',"postcode":' || archipel_json(postcode)
        || ',"city":' || archipel_json(city)
        || ',"country_code":' || archipel_json(country_code)
        || ',"insee_code":' || archipel_json(insee_code)
        || ',"website":' || archipel_json(website)
        || ',"email":' || archipel_json(email)
        || ',"phone":' || archipel_json(phone)
        || ',"links":' || archipel_json(links)
        || ',"opening_hours":' || archipel_json(opening_hours)
        || ',"wheelchair":' || archipel_json(wheelchair)
        || ',"tags":' || archipel_json(tags)
        || ',"status":' || archipel_json(status)
        || ',"moderation":' || archipel_json(moderation)
        || ',"licence":' || archipel_json(licence)
        || ',"attribution":' || archipel_json(attribution)
        || ',"source_id":' || archipel_json(source_id)
        || ',"external_id":' || archipel_json(external_id)
        || ',"source_url":' || archipel_json(source_url)
        || ',"fetched_at":' || archipel_json(fetched_at)
        || ',"last_confirmed_at":' || archipel_json(last_confirmed_at)
        || ',"created_at":' || archipel_json(created_at)
        || ',"updated_at":' || archipel_json(updated_at)
        || '}}';

CREATE OR REPLACE FUNCTION archipel_tally_initiatives() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    source text;
BEGIN
    source := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS d, n.* FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT -1 AS d, o.* FROM old_rows o'
        ELSE 'SELECT -1 AS d, o.* FROM old_rows o UNION ALL SELECT 1 AS d, n.* FROM new_rows n'
    END;
    EXECUTE format($q$
        INSERT INTO territory_tallies AS t (level, code, kind, key, n)
        SELECT l.level, l.code, k.kind, k.key, sum(r.d)::integer
        FROM (%s) AS r
        CROSS JOIN LATERAL (VALUES ('all', ''),
                                   ('commune', r.commune_code), ('epci', r.epci_code),
                                   ('departement', r.departement_code), ('region', r.region_code),
                                   ('commune', CASE WHEN r.commune_code IS NOT NULL THEN '*' END),
                                   ('epci', CASE WHEN r.epci_code IS NOT NULL THEN '*' END),
                                   ('departement', CASE WHEN r.departement_code IS NOT NULL THEN '*' END),
                                   ('region', CASE WHEN r.region_code IS NOT NULL THEN '*' END)) AS l(level, code)
        CROSS JOIN LATERAL (
            SELECT 'total' AS kind, '' AS key
            UNION ALL SELECT 'created', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM')
            UNION ALL SELECT 'confirmed', to_char(r.last_confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM')
                      WHERE r.last_confirmed_at IS NOT NULL
            UNION ALL SELECT 'category', s FROM unnest(archipel_category_closure(r.category_slugs)) AS s
        ) AS k
        WHERE r.moderation = 'published' AND l.code IS NOT NULL
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.d) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (level, code, kind, key) DO UPDATE SET n = t.n + excluded.n
    $q$, source);
    RETURN NULL;
END $$;
