-- Open-data feeds and what importing them did.

CREATE TABLE sources (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(id) <= 60),
    name             text NOT NULL,
    format           text NOT NULL
                     CHECK (format IN ('overpass', 'geojson', 'csv', 'gogocarto', 'openfairdb', 'fablabs', 'mednum')),
    -- An http(s) URL, a file:// URL or a path on the server.
    location         text NOT NULL,
    -- Field and category mapping (see docs/importer.md).
    mapping          jsonb NOT NULL DEFAULT '{}',
    licence          text,
    attribution      text,
    refresh_interval interval CHECK (refresh_interval IS NULL OR refresh_interval >= interval '1 minute'),
    -- A complete feed lists everything the source has: what is missing from it is withdrawn.
    complete         boolean NOT NULL DEFAULT true,
    -- The moderation state of what it brings in.
    moderation       text NOT NULL DEFAULT 'published' CHECK (moderation IN ('pending', 'published')),
    -- Validators of the last successful fetch, for conditional GET.
    etag             text,
    last_modified    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id    text NOT NULL REFERENCES sources (id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'not_modified', 'failed')),
    trigger      text NOT NULL DEFAULT 'manual',
    fetched      integer NOT NULL DEFAULT 0,
    created      integer NOT NULL DEFAULT 0,
    updated      integer NOT NULL DEFAULT 0,
    unchanged    integer NOT NULL DEFAULT 0,
    withdrawn    integer NOT NULL DEFAULT 0,
    restored     integer NOT NULL DEFAULT 0,
    rejected     integer NOT NULL DEFAULT 0,
    skipped      integer NOT NULL DEFAULT 0,
    conflicts    integer NOT NULL DEFAULT 0,
    duplicates   integer NOT NULL DEFAULT 0,
    error        text
);
CREATE INDEX import_runs_source_idx ON import_runs (source_id, id);

-- Records refused by a run, with the reason and the record as received.
CREATE TABLE import_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES import_runs (id),
    external_id text,
    position    text,
    reason      text NOT NULL,
    raw         text NOT NULL
);
CREATE INDEX import_rejects_run_idx ON import_rejects (run_id, id);

-- A feed changed a record that a person had corrected since: the person's values were kept.
CREATE TABLE import_conflicts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES import_runs (id),
    initiative_id uuid NOT NULL REFERENCES initiatives (id),
    incoming_hash text NOT NULL,
    incoming      jsonb NOT NULL,
    current       jsonb NOT NULL,
    -- Members whose incoming value differs from the stored one.
    fields        text[] NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_conflicts_initiative_idx ON import_conflicts (initiative_id, incoming_hash);
CREATE INDEX import_conflicts_open_idx ON import_conflicts (id) WHERE status = 'open';

-- Pairs that may be the same place, for a person to judge; never merged automatically.
CREATE TABLE duplicate_candidates (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    initiative_a     uuid NOT NULL REFERENCES initiatives (id),
    initiative_b     uuid NOT NULL REFERENCES initiatives (id),
    score            real NOT NULL,
    distance_m       real,
    name_similarity  real,
    shared_contacts  text[] NOT NULL DEFAULT '{}',
    run_id           bigint REFERENCES import_runs (id),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'confirmed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (initiative_a < initiative_b),
    UNIQUE (initiative_a, initiative_b)
);
CREATE INDEX duplicate_candidates_b_idx ON duplicate_candidates (initiative_b);

ALTER TABLE initiatives ADD CONSTRAINT initiatives_source_fk FOREIGN KEY (source_id) REFERENCES sources (id);
ALTER TABLE revisions ADD CONSTRAINT revisions_import_run_fk FOREIGN KEY (import_run_id) REFERENCES import_runs (id);

-- Contact details reduced to what identifies them, to spot the same place listed twice.
CREATE FUNCTION archipel_norm_website(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN nullif(rtrim(regexp_replace(lower($1), '^https?://(www\.)?', ''), '/'), '');
CREATE FUNCTION archipel_norm_phone(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN nullif(regexp_replace(regexp_replace($1, '[^0-9+]', '', 'g'), '^(\+33|0033)', '0'), '');

CREATE INDEX initiatives_website_norm_idx ON initiatives (archipel_norm_website(website)) WHERE website IS NOT NULL;
CREATE INDEX initiatives_phone_norm_idx ON initiatives (archipel_norm_phone(phone)) WHERE phone IS NOT NULL;
CREATE INDEX initiatives_email_norm_idx ON initiatives (lower(email)) WHERE email IS NOT NULL;
