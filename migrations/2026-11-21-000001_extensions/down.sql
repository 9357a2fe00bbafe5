DROP FUNCTION archipel_json(timestamptz);
DROP FUNCTION archipel_json(text[]);
DROP FUNCTION archipel_json(text);
DROP FUNCTION archipel_rfc3339(timestamptz);
DROP FUNCTION archipel_words(text[]);
DROP FUNCTION archipel_slugify(text);
DROP FUNCTION archipel_search_query(text[]);
DROP AGGREGATE archipel_tsquery_and(tsquery);
DROP TEXT SEARCH CONFIGURATION archipel_simple;
DROP TEXT SEARCH CONFIGURATION archipel_en;
DROP TEXT SEARCH CONFIGURATION archipel_fr;
DROP FUNCTION archipel_unaccent(text);
-- The extensions stay: other objects of the database may use them, and they hold no data.
