-- People of the local authority: accounts with an argon2id password (a PHC string), a role and an
-- optional territory scope (INSEE commune or EPCI codes; enforced once territories exist).
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role          text NOT NULL CHECK (role IN ('moderator', 'editor', 'admin')),
    territories   text[] NOT NULL DEFAULT '{}',
    -- NULL until the person sets one through their invitation link.
    password_hash text,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- One-time links (invitations, password resets): only the SHA-256 of the 256-bit token is kept.
CREATE TABLE user_links (
    token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX user_links_user_idx ON user_links (user_id);

-- Sessions of people, shared by every API process: only the SHA-256 of the cookie's 256-bit
-- secret is kept. Idle and absolute expiry are decided by the queries (last_seen_at, created_at).
CREATE TABLE sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(secret_sha256) = 32),
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed logins, per account typed (lower-cased) and per client network, for the lockout shared by
-- every process. Rows older than a day are deleted as new ones arrive: nothing else reads them.
CREATE TABLE login_failures (
    account    text NOT NULL,
    client_key text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_account_idx ON login_failures (account, at);
CREATE INDEX login_failures_client_idx ON login_failures (client_key, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);
