-- The point of a geometry in Web Mercator. Latitudes beyond ±85.05° have no Mercator image; they
-- are clamped to the edge of the map rather than refused.
CREATE FUNCTION archipel_web_mercator(geometry) RETURNS geometry
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(ST_PointOnSurface($1)),
                                                greatest(-85.05, least(85.05, ST_Y(ST_PointOnSurface($1))))), 4326), 3857);

-- The directory's entries. Nothing is hard-deleted: archiving sets moderation = 'archived'; an
-- import withdraws what left its feed (moderation = 'withdrawn') and restores it if it comes back.
CREATE TABLE initiatives (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    -- A point, or the area of a garden / site; `point` is what the map shows.
    geom              geometry(Geometry, 4326) NOT NULL
                      CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)),
    point             geometry(Point, 4326) NOT NULL GENERATED ALWAYS AS (ST_PointOnSurface(geom)) STORED,
    -- The same point in Web Mercator, so that vector tiles need no per-point transform.
    point_3857        geometry(Point, 3857) NOT NULL GENERATED ALWAYS AS (archipel_web_mercator(geom)) STORED,
    -- The first of its categories (kept in step with initiative_categories by the store): its
    -- colour on the map.
    main_category_id  integer REFERENCES categories (id),
    street            text,
    postcode          text,
    city              text,
    country_code      text CHECK (country_code ~ '^[A-Z]{2}$'),
    insee_code        text CHECK (insee_code ~ '^([0-9]{5}|2[AB][0-9]{3})$'),
    website           text,
    email             text,
    phone             text,
    links             text[] NOT NULL DEFAULT '{}',
    opening_hours     text,
    tags              text[] NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'closed')),
    moderation        text NOT NULL DEFAULT 'published'
                      CHECK (moderation IN ('pending', 'published', 'rejected', 'archived', 'withdrawn')),
    licence           text,
    attribution       text,
    -- Provenance, filled by the importer: which feed, which record, which content.
    source_id         text,
    external_id       text,
    content_hash      text,
    source_url        text,
    fetched_at        timestamptz,
    -- When an import last wrote the row, and when a person last corrected it: a person's
    -- correction after the last import wins over the feed (the import records a conflict).
    imported_at       timestamptz,
    person_edited_at  timestamptz,
    last_confirmed_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Bumped on every change; the ETag of the initiative.
    version           integer NOT NULL DEFAULT 1,
    search            tsvector NOT NULL GENERATED ALWAYS AS (
                          setweight(to_tsvector('archipel_simple', name), 'A')
                       || setweight(to_tsvector('archipel_fr', name), 'A')
                       || setweight(to_tsvector('archipel_en', name), 'A')
                       || setweight(to_tsvector('archipel_simple', description), 'B')
                       || setweight(to_tsvector('archipel_fr', description), 'B')
                       || setweight(to_tsvector('archipel_en', description), 'B')
                       || setweight(to_tsvector('archipel_simple',
                              coalesce(city, '') || ' ' || archipel_words(tags)), 'C')
                      ) STORED,
    UNIQUE (source_id, external_id)
);

CREATE INDEX initiatives_point_idx ON initiatives USING gist (point);
CREATE INDEX initiatives_geom_idx ON initiatives USING gist (geom);
CREATE INDEX initiatives_point_3857_idx ON initiatives USING gist (point_3857);
-- Distances in metres ("near me") use the geography cast; index it so KNN ordering is indexed.
CREATE INDEX initiatives_point_geog_idx ON initiatives USING gist ((point::geography));
CREATE INDEX initiatives_search_idx ON initiatives USING gin (search);
CREATE INDEX initiatives_name_trgm_idx ON initiatives USING gin (archipel_unaccent(lower(name)) gin_trgm_ops);
CREATE INDEX initiatives_updated_at_idx ON initiatives (updated_at, id);

-- Which categories an initiative belongs to; position 0 is its main category (map colour).
CREATE TABLE initiative_categories (
    initiative_id uuid NOT NULL REFERENCES initiatives (id),
    category_id   integer NOT NULL REFERENCES categories (id),
    position      smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (initiative_id, category_id)
);
CREATE INDEX initiative_categories_category_idx ON initiative_categories (category_id, initiative_id);
