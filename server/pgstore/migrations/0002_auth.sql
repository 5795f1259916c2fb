-- Users, the setup token and token revocation state, shared by every
-- instance (auth.Store). Rows with an expiry are ignored once expired and
-- pruned (Users.Prune).

CREATE TABLE ebios_users (
    name          text        PRIMARY KEY,
    role          text        NOT NULL,
    password_hash text        NOT NULL,
    disabled      boolean     NOT NULL,
    generation    bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    last_login    timestamptz
);

-- The one pending setup token (SHA-256 of it).
CREATE TABLE ebios_setup_token (
    id      smallint    PRIMARY KEY CHECK (id = 1),
    hash    bytea       NOT NULL,
    expires timestamptz NOT NULL
);

-- Revoked token families (logout, refresh reuse, user changes).
CREATE TABLE ebios_revoked (
    family  text        PRIMARY KEY,
    expires timestamptz NOT NULL
);
CREATE INDEX ebios_revoked_expires ON ebios_revoked (expires);

-- Spent refresh tokens (rotation and reuse detection).
CREATE TABLE ebios_spent (
    jti     text        PRIMARY KEY,
    family  text        NOT NULL,
    expires timestamptz NOT NULL
);
CREATE INDEX ebios_spent_expires ON ebios_spent (expires);

-- The generation a new user of a deleted user's name starts at.
CREATE TABLE ebios_deleted_users (
    name       text        PRIMARY KEY,
    generation bigint      NOT NULL,
    expires    timestamptz NOT NULL
);
