-- Departments (主管部门 or 预算单位): a code and a name, a parent for a
-- subordinate unit, and, once merged by the bureau, the department it was
-- merged into. A project belongs to one by code; its free-text department
-- stays its display name. Importing matches departments by name and
-- creates those it does not know. Existing projects are matched now.

-- +goose Up
CREATE TABLE departments (
    code        TEXT PRIMARY KEY CHECK (code <> ''),
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    parent_code TEXT REFERENCES departments (code) CHECK (parent_code <> code),
    merged_into TEXT REFERENCES departments (code) CHECK (merged_into <> code),
    created_at  TIMESTAMP NOT NULL
);
ALTER TABLE projects ADD COLUMN department_code TEXT REFERENCES departments (code);
INSERT INTO departments (code, name, created_at)
    SELECT 'D' || substr('0000' || ROW_NUMBER() OVER (ORDER BY department), -4, 4), department, strftime('%Y-%m-%d %H:%M:%S', 'now')
    FROM (SELECT DISTINCT department FROM projects WHERE department <> '');
UPDATE projects SET department_code = (SELECT code FROM departments WHERE name = projects.department) WHERE department <> '';
CREATE INDEX projects_department_code ON projects (department_code, id);

-- +goose Down
DROP INDEX projects_department_code;
ALTER TABLE projects DROP COLUMN department_code;
DROP TABLE departments;
