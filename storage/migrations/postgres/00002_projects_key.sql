-- SQLite needs an index of the keys alone to count a range of projects
-- quickly (migrations/sqlite/00002); PostgreSQL's primary-key index does
-- that already. The migration is kept so that both schemas have the same
-- versions.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
