-- People who log in with a name and a password, their server-side
-- sessions, and failed logins by login name (known or not). Version 00005
-- exists only for PostgreSQL.

-- +goose Up
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE CHECK (name <> '' AND name = lower(name)),
    display_name         TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('viewer', 'scorer', 'admin')),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    disabled_at          TIMESTAMP
);

-- The token's SHA-256 names a session; the token itself is only in the
-- browser's cookie.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    name         TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TIMESTAMP,
    last_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
