DROP TABLE initiative_categories;
DROP TABLE initiatives;
DROP FUNCTION archipel_relink_categories();
DROP FUNCTION archipel_link_new_categories();
DROP FUNCTION archipel_feature(uuid, geometry, text, text, text, text[], text, text, text, text, text, text, text, text,
    text[], text, text[], text, text, text, text, text, text, text, timestamptz, timestamptz, timestamptz, timestamptz);
DROP FUNCTION archipel_web_mercator(geometry);
