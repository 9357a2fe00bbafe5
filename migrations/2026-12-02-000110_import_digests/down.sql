DROP TABLE import_digests;
