-- The point of a geometry in Web Mercator. Latitudes beyond ±85.05° have no Mercator image; they
-- are clamped to the edge of the map rather than refused.
CREATE FUNCTION archipel_web_mercator(geometry) RETURNS geometry
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(ST_PointOnSurface($1)),
                                                greatest(-85.05, least(85.05, ST_Y(ST_PointOnSurface($1))))), 4326), 3857);

-- The GeoJSON Feature of an initiative: flat properties, lon/lat with 6 decimals, polygons
-- counter-clockwise (RFC 7946).
CREATE FUNCTION archipel_feature(
    id uuid, geom geometry, name text, slug text, description text, categories text[], street text, postcode text,
    city text, country_code text, insee_code text, website text, email text, phone text, links text[],
    opening_hours text, tags text[], status text, moderation text, licence text, attribution text, source_id text,
    external_id text, source_url text, fetched_at timestamptz, last_confirmed_at timestamptz, created_at timestamptz,
    updated_at timestamptz
) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '{"type":"Feature","id":"' || id || '","geometry":' || ST_AsGeoJSON(ST_ForcePolygonCCW(geom), 6)
        || ',"properties":{"name":' || archipel_json(name)
        || ',"slug":' || archipel_json(slug)
        || ',"description":' || archipel_json(description)
        || ',"categories":' || archipel_json(categories)
        || ',"main_category":' || archipel_json(categories[1])
        || ',"street":' || archipel_json(street)
        || ',"postcode":' || archipel_json(postcode)
        || ',"city":' || archipel_json(city)
        || ',"country_code":' || archipel_json(country_code)
        || ',"insee_code":' || archipel_json(insee_code)
        || ',"website":' || archipel_json(website)
        || ',"email":' || archipel_json(email)
        || ',"phone":' || archipel_json(phone)
        || ',"links":' || archipel_json(links)
        || ',"opening_hours":' || archipel_json(opening_hours)
        || ',"tags":' || archipel_json(tags)
        || ',"status":' || archipel_json(status)
        || ',"moderation":' || archipel_json(moderation)
        || ',"licence":' || archipel_json(licence)
        || ',"attribution":' || archipel_json(attribution)
        || ',"source_id":' || archipel_json(source_id)
        || ',"external_id":' || archipel_json(external_id)
        || ',"source_url":' || archipel_json(source_url)
        || ',"fetched_at":' || archipel_json(fetched_at)
        || ',"last_confirmed_at":' || archipel_json(last_confirmed_at)
        || ',"created_at":' || archipel_json(created_at)
        || ',"updated_at":' || archipel_json(updated_at)
        || '}}';

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
    -- Category slugs, main category first (its colour on the map). initiative_categories is
    -- kept in step by the triggers below.
    category_slugs    text[] NOT NULL DEFAULT '{}',
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
    -- The initiative as a GeoJSON Feature (RFC 7946), written once per change so that listings,
    -- exports and harvests pass stored bytes through instead of rebuilding JSON on every read.
    feature           text NOT NULL GENERATED ALWAYS AS (archipel_feature(
                          id, geom, name, slug, description, category_slugs, street, postcode, city, country_code,
                          insee_code, website, email, phone, links, opening_hours, tags, status, moderation, licence,
                          attribution, source_id, external_id, source_url, fetched_at, last_confirmed_at, created_at,
                          updated_at)) STORED,
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

-- Which categories an initiative belongs to (position 0: its main category), for relational
-- queries and counts. Derived from initiatives.category_slugs by the triggers below: nothing else
-- writes it.
CREATE TABLE initiative_categories (
    initiative_id uuid NOT NULL REFERENCES initiatives (id),
    category_id   integer NOT NULL REFERENCES categories (id),
    position      smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (initiative_id, category_id)
);
CREATE INDEX initiative_categories_category_idx ON initiative_categories (category_id, initiative_id);

-- New initiatives, one statement at a time (a 1M-row import links in one set-based insert).
CREATE FUNCTION archipel_link_new_categories() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) AS s(slug)
               WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.slug = s.slug)) THEN
        RAISE EXCEPTION 'unknown category slug in category_slugs' USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO initiative_categories (initiative_id, category_id, position)
    SELECT r.id, c.id, (s.ord - 1)::smallint
    FROM new_rows r CROSS JOIN LATERAL unnest(r.category_slugs) WITH ORDINALITY AS s(slug, ord)
    JOIN categories c ON c.slug = s.slug
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER initiatives_link_new AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION archipel_link_new_categories();

-- Changed categories, row by row (rare: the WHEN clause skips every other update).
CREATE FUNCTION archipel_relink_categories() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.category_slugs) AS s(slug)
               WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.slug = s.slug)) THEN
        RAISE EXCEPTION 'unknown category slug in category_slugs' USING ERRCODE = 'foreign_key_violation';
    END IF;
    DELETE FROM initiative_categories WHERE initiative_id = NEW.id;
    INSERT INTO initiative_categories (initiative_id, category_id, position)
    SELECT NEW.id, c.id, (s.ord - 1)::smallint
    FROM unnest(NEW.category_slugs) WITH ORDINALITY AS s(slug, ord) JOIN categories c ON c.slug = s.slug
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER initiatives_relink AFTER UPDATE ON initiatives
    FOR EACH ROW WHEN (OLD.category_slugs IS DISTINCT FROM NEW.category_slugs)
    EXECUTE FUNCTION archipel_relink_categories();
