-- Back to one expansion per row (migration 100).
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
        WITH closure AS MATERIALIZED (
            SELECT d.slug, a.slug AS ancestor
            FROM archipel_category_ancestry() x
            JOIN categories d ON d.id = x.descendant JOIN categories a ON a.id = x.ancestor
        )
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
            UNION ALL SELECT DISTINCT 'category', c.ancestor
                      FROM unnest(r.category_slugs) AS s(slug) JOIN closure c ON c.slug = s.slug
        ) AS k
        WHERE r.moderation = 'published' AND l.code IS NOT NULL
        GROUP BY 1, 2, 3, 4
        HAVING sum(r.d) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (level, code, kind, key) DO UPDATE SET n = t.n + excluded.n
    $q$, source);
    RETURN NULL;
END $$;
