DROP TABLE initiative_categories;
DROP TABLE initiatives;
DROP FUNCTION archipel_web_mercator(geometry);
