DROP TABLE initiative_categories;
DROP TABLE initiatives;
