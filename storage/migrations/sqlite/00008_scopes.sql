-- Accounts scoped to a department: a user or an API key with a
-- department_code sees and changes only that department's projects (and
-- its subordinate units'); NULL is bureau-wide. A run or a scenario made
-- by a scoped account belongs to its department, for the same reason.

-- +goose Up
ALTER TABLE users ADD COLUMN department_code TEXT REFERENCES departments (code);
ALTER TABLE api_keys ADD COLUMN department_code TEXT REFERENCES departments (code);
ALTER TABLE runs ADD COLUMN department_code TEXT REFERENCES departments (code);
ALTER TABLE scenarios ADD COLUMN department_code TEXT REFERENCES departments (code);
CREATE INDEX runs_department ON runs (department_code, id);

-- +goose Down
DROP INDEX runs_department;
ALTER TABLE scenarios DROP COLUMN department_code;
ALTER TABLE runs DROP COLUMN department_code;
ALTER TABLE api_keys DROP COLUMN department_code;
ALTER TABLE users DROP COLUMN department_code;
