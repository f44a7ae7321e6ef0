-- The review of self-evaluations: a project is 草稿 (draft), 已提交
-- (submitted by its department), 已审核 (approved by the bureau) or 已退回
-- (returned with comments, to be edited and submitted again). Every
-- submission, approval and return is kept, with the input version it was
-- about. The reviewer role (bureau-wide) returns and approves.
--
-- SQLite cannot change a CHECK constraint: users and api_keys are built
-- again with the new role. Sessions end (they refer to users).

-- +goose Up
ALTER TABLE projects ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'submitted', 'approved', 'returned'));

CREATE TABLE project_reviews (
    id                 INTEGER PRIMARY KEY,
    project_key        INTEGER NOT NULL REFERENCES projects (id),
    action             TEXT NOT NULL CHECK (action IN ('submit', 'approve', 'return')),
    input_hash         TEXT NOT NULL REFERENCES project_inputs (hash),
    actor              TEXT NOT NULL,
    comment            TEXT NOT NULL DEFAULT '',
    indicator_comments TEXT NOT NULL DEFAULT '{}',
    at                 TIMESTAMP NOT NULL
);
CREATE INDEX project_reviews_project ON project_reviews (project_key, id);

DELETE FROM sessions;
CREATE TABLE users_new (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE CHECK (name <> '' AND name = lower(name)),
    display_name         TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('viewer', 'scorer', 'reviewer', 'admin')),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    disabled_at          TIMESTAMP,
    department_code      TEXT REFERENCES departments (code)
);
INSERT INTO users_new SELECT id, name, display_name, role, password_hash, must_change_password, created_at, updated_at, disabled_at, department_code FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE api_keys_new (
    id              INTEGER PRIMARY KEY,
    key_hash        TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'scorer', 'reviewer', 'admin')),
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    department_code TEXT REFERENCES departments (code)
);
INSERT INTO api_keys_new SELECT id, key_hash, prefix, name, role, created_at, revoked_at, department_code FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;

-- +goose Down
DROP TABLE project_reviews;
ALTER TABLE projects DROP COLUMN status;
