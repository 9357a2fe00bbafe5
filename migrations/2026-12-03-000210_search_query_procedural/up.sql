-- The words typed -> a prefix query, as in migrations 160 and 190, written step by step. A
-- listing with words in a box is planned for its values, and PostgreSQL folds the call into a
-- constant while planning, once for each place the query is used (the filter and the rank):
-- migration 190's body was one query, run through the executor at each call (~35 µs in a loop,
-- more as the first call of a statement). Plain PL/pgSQL statements are evaluated directly: a
-- third of the time in a loop (12 µs), the listing's planning 0.53 ms instead of 0.90 ms at 1M
-- (`jardin` over Paris, custom plans, EXPLAIN EXECUTE). Checked against migration 190's function
-- on 22,315 inputs (each word of the sample feeds, its first 3 letters, its first 4 letters with
-- the word; empty, stop words, punctuation, NULL): the same query for each.
--
-- For each word: lower case, letters and digits only; the prefix query of its French stem, its
-- English stem and the word as typed; the distinct ones, in the order of their text, but for a
-- single prefix that another single prefix starts ('jardins':* when there is 'jardin':*); ORed.
-- The words' alternatives ANDed in the order typed; words that give nothing are left out.
CREATE OR REPLACE FUNCTION archipel_search_query(words text[]) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    word text;
    three tsquery[];
    kept tsquery[];
    kept_text text[];
    q tsquery;
    t text;
    other text;
    covered boolean;
    alternatives tsquery;
    result tsquery;
    i integer;
    j integer;
BEGIN
    IF words IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH word IN ARRAY words LOOP
        word := lower(regexp_replace(word, '[^[:alnum:]]+', '', 'g'));
        CONTINUE WHEN word IS NULL OR word = '';
        three := ARRAY[to_tsquery('archipel_fr', word || ':*'),
                       to_tsquery('archipel_en', word || ':*'),
                       to_tsquery('archipel_simple', word || ':*')];
        kept := '{}';
        kept_text := '{}';
        FOREACH q IN ARRAY three LOOP
            CONTINUE WHEN numnode(q) = 0;
            t := q::text;
            CONTINUE WHEN t = ANY (kept_text);
            covered := false;
            IF t ~ '^''[^'']+'':\*$' THEN
                FOREACH other IN ARRAY three::text[] LOOP
                    IF other <> t AND other ~ '^''[^'']+'':\*$'
                       AND starts_with(t, left(other, -3)) THEN
                        covered := true;
                    END IF;
                END LOOP;
            END IF;
            CONTINUE WHEN covered;
            -- Insert in the order of the texts.
            i := coalesce(array_length(kept_text, 1), 0) + 1;
            kept := kept || q;
            kept_text := kept_text || t;
            WHILE i > 1 AND kept_text[i - 1] > kept_text[i] LOOP
                other := kept_text[i - 1]; kept_text[i - 1] := kept_text[i]; kept_text[i] := other;
                q := kept[i - 1]; kept[i - 1] := kept[i]; kept[i] := q;
                i := i - 1;
            END LOOP;
        END LOOP;
        alternatives := NULL;
        FOR j IN 1 .. coalesce(array_length(kept, 1), 0) LOOP
            alternatives := CASE WHEN alternatives IS NULL THEN kept[j] ELSE alternatives || kept[j] END;
        END LOOP;
        CONTINUE WHEN alternatives IS NULL;
        result := CASE WHEN result IS NULL THEN alternatives ELSE result && alternatives END;
    END LOOP;
    RETURN result;
END
$$;
