-- Back to the PL/pgSQL function of migration 190, one query in its body.
CREATE OR REPLACE FUNCTION archipel_search_query(words text[]) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN (
        SELECT archipel_tsquery_and(alternatives.q ORDER BY cleaned.n)
        FROM (SELECT lower(regexp_replace(word.word, '[^[:alnum:]]+', '', 'g')) AS w, word.n
              FROM unnest(words) WITH ORDINALITY AS word(word, n)) AS cleaned
        CROSS JOIN LATERAL (
            SELECT ARRAY[to_tsquery('archipel_fr', cleaned.w || ':*'),
                         to_tsquery('archipel_en', cleaned.w || ':*'),
                         to_tsquery('archipel_simple', cleaned.w || ':*')] AS qs
        ) AS three
        CROSS JOIN LATERAL (
            SELECT archipel_tsquery_or(a.q ORDER BY a.t) AS q
            FROM (SELECT DISTINCT x.q, x.q::text AS t
                  FROM unnest(three.qs) AS x(q) WHERE numnode(x.q) > 0) AS a
            -- A single prefix ('jardins':*) that another single prefix ('jardin':*) starts.
            WHERE NOT EXISTS (
                SELECT 1 FROM unnest(three.qs) AS b(b)
                WHERE b.b::text <> a.t
                  AND b.b::text ~ '^''[^'']+'':\*$'
                  AND a.t ~ '^''[^'']+'':\*$'
                  AND starts_with(a.t, left(b.b::text, -3)))
        ) AS alternatives
        WHERE cleaned.w <> ''
    );
END
$$;
