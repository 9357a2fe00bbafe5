DROP FUNCTION archipel_category_ids(text[]);
DROP TABLE categories;
