-- The SQLite schema. The PostgreSQL schema keeps the same tables, columns
-- and constraints; only the types differ where SQLite needs its own:
-- "INTEGER PRIMARY KEY" is SQLite's 64-bit rowid (BIGINT identity on
-- PostgreSQL), and WITHOUT ROWID is SQLite-only. Times are UTC; money and
-- scores are INTEGER hundredths.

-- +goose Up

-- Project inputs by content: the canonical JSON of a project under the hex
-- SHA-256 of that JSON. Kept after the project changes, so that every
-- score can be verified against the input it was computed from.
CREATE TABLE project_inputs (
    hash       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY, -- the storage key
    year       INTEGER NOT NULL CHECK (year > 0),
    project_id TEXT NOT NULL CHECK (project_id <> ''),
    department TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    input_hash TEXT NOT NULL REFERENCES project_inputs (hash),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (year, project_id)
);
-- Listing by department in the default (year, project_id) order, and
-- selecting by id in any year.
CREATE INDEX projects_department ON projects (department, year, project_id);
CREATE INDEX projects_project_id ON projects (project_id);
-- Batch reading in key order by year or by department: without these, each
-- batch would sort every project of the year or the department.
CREATE INDEX projects_year_key ON projects (year, id);
CREATE INDEX projects_department_key ON projects (department, id);

CREATE TABLE ruleset_versions (
    id           INTEGER PRIMARY KEY,
    ruleset_id   TEXT NOT NULL,
    version      TEXT NOT NULL,
    hash         TEXT NOT NULL,
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('builtin', 'file', 'api')),
    path         TEXT NOT NULL DEFAULT '',
    loaded_by    TEXT NOT NULL DEFAULT '',
    loaded_at    TIMESTAMP NOT NULL,
    activated_at TIMESTAMP,
    UNIQUE (ruleset_id, hash)
);
CREATE INDEX ruleset_versions_hash ON ruleset_versions (hash);

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('official', 'simulation')),
    ruleset_id   TEXT NOT NULL,
    ruleset_hash TEXT NOT NULL,
    requested_by TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    selection    TEXT,
    total        INTEGER NOT NULL DEFAULT 0,
    scored       INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_kind ON runs (kind, id);
CREATE INDEX runs_status ON runs (status);

-- A score is stored once per project, input, rule-set version and engine
-- version; runs that compute the same score link to it.
CREATE TABLE scores (
    id             INTEGER PRIMARY KEY,
    project_key    BIGINT NOT NULL REFERENCES projects (id),
    project_id     TEXT NOT NULL,
    year           INTEGER NOT NULL,
    department     TEXT NOT NULL DEFAULT '',
    total_cents    INTEGER NOT NULL,
    grade          TEXT NOT NULL,
    result         TEXT NOT NULL,
    input_hash     TEXT NOT NULL REFERENCES project_inputs (hash),
    ruleset_id     TEXT NOT NULL,
    ruleset_hash   TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (project_key, ruleset_hash, engine_version, input_hash)
);
CREATE INDEX scores_project_id ON scores (project_id, year);

-- One row per project of a run. The primary key makes a resumed run's
-- second save of a chunk a no-op. WITHOUT ROWID: the key is the table.
CREATE TABLE run_scores (
    run_id      BIGINT NOT NULL REFERENCES runs (id),
    score_id    BIGINT NOT NULL REFERENCES scores (id),
    project_key BIGINT NOT NULL REFERENCES projects (id),
    PRIMARY KEY (run_id, project_key)
) WITHOUT ROWID;
-- The latest run of a project (its current grade), and the runs of a score.
CREATE INDEX run_scores_project ON run_scores (project_key, run_id);
CREATE INDEX run_scores_score ON run_scores (score_id, run_id);

CREATE TABLE run_rejections (
    run_id      BIGINT NOT NULL REFERENCES runs (id),
    project_key BIGINT NOT NULL REFERENCES projects (id),
    project_id  TEXT NOT NULL,
    year        INTEGER NOT NULL,
    errors      TEXT NOT NULL,
    PRIMARY KEY (run_id, project_key)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TIMESTAMP NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail  TEXT
);

-- Only the SHA-256 of a key's secret is stored.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'scorer', 'admin')),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE scenarios (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    request    TEXT NOT NULL,
    summary    TEXT NOT NULL
);

-- +goose Down
DROP TABLE scenarios;
DROP TABLE api_keys;
DROP TABLE audit_log;
DROP TABLE run_rejections;
DROP TABLE run_scores;
DROP TABLE scores;
DROP TABLE runs;
DROP TABLE ruleset_versions;
DROP TABLE projects;
DROP TABLE project_inputs;
