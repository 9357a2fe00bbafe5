-- Moderator tokens cannot exist before this migration: they are revoked (kept, as an editor
-- token nobody can use) rather than deleted.
UPDATE api_tokens SET role = 'editor', revoked_at = coalesce(revoked_at, now())
    WHERE role = 'moderator';
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('editor', 'admin'));
