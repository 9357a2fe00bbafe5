-- Back to the SQL-bodied function of migration 160.
CREATE OR REPLACE FUNCTION archipel_search_query(words text[]) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT archipel_tsquery_and(alternatives.q ORDER BY cleaned.n)
        FROM (SELECT lower(regexp_replace(word, '[^[:alnum:]]+', '', 'g')) AS w, n
              FROM unnest(words) WITH ORDINALITY AS word(word, n)) AS cleaned
        CROSS JOIN LATERAL (
            SELECT ARRAY[to_tsquery('archipel_fr', cleaned.w || ':*'),
                         to_tsquery('archipel_en', cleaned.w || ':*'),
                         to_tsquery('archipel_simple', cleaned.w || ':*')] AS qs
        ) AS three
        CROSS JOIN LATERAL (
            SELECT archipel_tsquery_or(a.q ORDER BY a.t) AS q
            FROM (SELECT DISTINCT q, q::text AS t FROM unnest(three.qs) AS q WHERE numnode(q) > 0) AS a
            -- A single prefix ('jardins':*) that another single prefix ('jardin':*) starts.
            WHERE NOT EXISTS (
                SELECT 1 FROM unnest(three.qs) AS b
                WHERE b::text <> a.t
                  AND b::text ~ '^''[^'']+'':\*$'
                  AND a.t ~ '^''[^'']+'':\*$'
                  AND starts_with(a.t, left(b::text, -3)))
        ) AS alternatives
        WHERE cleaned.w <> ''
    );
