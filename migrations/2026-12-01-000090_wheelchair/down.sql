ALTER TABLE initiatives DROP COLUMN feature;
DROP FUNCTION archipel_feature;

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

ALTER TABLE initiatives ADD COLUMN feature text NOT NULL GENERATED ALWAYS AS (archipel_feature(
    id, geom, name, slug, description, category_slugs, street, postcode, city, country_code,
    insee_code, website, email, phone, links, opening_hours, tags, status, moderation, licence,
    attribution, source_id, external_id, source_url, fetched_at, last_confirmed_at, created_at,
    updated_at)) STORED;

ALTER TABLE initiatives DROP COLUMN wheelchair;
