-- One row per change of an initiative: who (a token's name, or an import run), when, why, and the
-- whole initiative before and after, so any edit can be shown and undone.
CREATE TABLE revisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    initiative_id  uuid NOT NULL REFERENCES initiatives (id),
    action         text NOT NULL CHECK (action IN ('create', 'update', 'archive', 'import', 'withdraw', 'restore')),
    author         text NOT NULL,
    import_run_id  bigint,
    reason         text,
    before         jsonb,
    after          jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revisions_initiative_idx ON revisions (initiative_id, id);
