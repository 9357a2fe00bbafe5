-- PostGIS for geometry, pg_trgm for fuzzy name matching, unaccent for accent-insensitive search.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could change); indexes and generated columns need an
-- IMMUTABLE function, so pin the dictionary explicitly.
CREATE FUNCTION archipel_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);

-- Text search configurations that fold accents before stemming: "Réparation" and "reparation"
-- index the same lexeme. archipel_simple keeps whole words so that a typed prefix longer than a
-- stem ("reparati") still matches.
CREATE TEXT SEARCH CONFIGURATION archipel_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION archipel_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION archipel_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION archipel_en
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION archipel_simple (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION archipel_simple
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- Words typed by a person -> a prefix query that matches in French, English or as whole words.
-- Each word must match (AND); punctuation is dropped, so no input can break the tsquery syntax.
CREATE AGGREGATE archipel_tsquery_and(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);

CREATE FUNCTION archipel_search_query(words text[]) RETURNS tsquery
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

-- Lower-case, unaccented, hyphen-separated; used for slugs and for comparing names.
CREATE FUNCTION archipel_slugify(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN left(trim(BOTH '-' FROM regexp_replace(lower(archipel_unaccent($1)), '[^a-z0-9]+', '-', 'g')), 80);

-- array_to_string() is STABLE in general; for text[] it is immutable.
CREATE FUNCTION archipel_words(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_string($1, ' ');

-- RFC 3339 in UTC, independent of the session's TimeZone and DateStyle.
CREATE FUNCTION archipel_rfc3339(timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- JSON text of a value, `null` when missing. to_json() is only STABLE in general (some types'
-- output depends on settings); for text and text[] it is immutable, which the stored GeoJSON
-- Feature of initiatives relies on.
CREATE FUNCTION archipel_json(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(to_json($1)::text, 'null');
CREATE FUNCTION archipel_json(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(to_json($1)::text, '[]');
CREATE FUNCTION archipel_json(timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce('"' || archipel_rfc3339($1) || '"', 'null');
