CREATE OR REPLACE FUNCTION archipel_search_query(words text[]) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT archipel_tsquery_and(
                   to_tsquery('archipel_fr', w || ':*')
                || to_tsquery('archipel_en', w || ':*')
                || to_tsquery('archipel_simple', w || ':*'))
        FROM (SELECT lower(regexp_replace(word, '[^[:alnum:]]+', '', 'g')) AS w
              FROM unnest(words) AS word) AS cleaned
        WHERE w <> ''
    );

DROP AGGREGATE archipel_tsquery_or(tsquery);
