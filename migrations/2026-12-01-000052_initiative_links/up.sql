-- Typed links between initiatives ("connecter"): a partnership, membership of a network, a
-- spin-off, shared premises, a supplier. Stored once, from one side; the other side reads the
-- inverse kind (has_member, has_spin_off, supplied_by; partner and shares_premises_with are
-- symmetric). Removing a link keeps its row (removed_at, removed_by); both initiatives get a
-- revision for each link added or removed.
CREATE TABLE initiative_links (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id    uuid NOT NULL REFERENCES initiatives (id),
    to_id      uuid NOT NULL REFERENCES initiatives (id),
    kind       text NOT NULL
               CHECK (kind IN ('partner', 'member_of', 'spin_off_of', 'shares_premises_with', 'supplies')),
    note       text CHECK (char_length(note) <= 1000),
    since      date,
    until      date,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_by text,
    removed_at timestamptz,
    CHECK (from_id <> to_id),
    CHECK (since IS NULL OR until IS NULL OR since <= until)
);
-- One live link of a kind between two initiatives; symmetric kinds in either direction.
CREATE UNIQUE INDEX initiative_links_live_idx ON initiative_links (from_id, to_id, kind) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX initiative_links_symmetric_idx
    ON initiative_links (least(from_id, to_id), greatest(from_id, to_id), kind)
    WHERE removed_at IS NULL AND kind IN ('partner', 'shares_premises_with');
CREATE INDEX initiative_links_to_idx ON initiative_links (to_id) WHERE removed_at IS NULL;

ALTER TABLE revisions DROP CONSTRAINT revisions_action_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_action_check
    CHECK (action IN ('create', 'update', 'archive', 'import', 'withdraw', 'restore', 'merge', 'link', 'unlink'));
