-- Search as you type (`/api/v1/suggest`): names of published initiatives, lower-case and without
-- accents, in byte order, so that the names starting with what was typed are a range of this
-- index, read in order and stopped after a few.
CREATE INDEX initiatives_name_prefix_idx
    ON initiatives ((archipel_unaccent(lower(name))) COLLATE "C")
    WHERE moderation = 'published';
