-- Corrections reported by visitors of the map, for editors to review.
CREATE TABLE reports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    initiative_id uuid NOT NULL REFERENCES initiatives (id),
    message       text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 2000),
    -- Optional e-mail of the person, to answer them.
    contact_email text,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'rejected')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE INDEX reports_pending_idx ON reports (id) WHERE status = 'pending';
CREATE INDEX reports_initiative_idx ON reports (initiative_id);
