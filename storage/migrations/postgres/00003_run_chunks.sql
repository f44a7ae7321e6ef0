-- The chunks of an official run: consecutive key ranges (after_key,
-- last_key] of its selection, planned once. A process claims a chunk that
-- is not done and not leased (or whose lease has run out), scores it, and
-- marks it done in the transaction that stores its scores; with several
-- processes on one database (PostgreSQL), a chunk whose process died is
-- claimed by another once its lease ends.

-- +goose Up
CREATE TABLE run_chunks (
    run_id      BIGINT NOT NULL REFERENCES runs (id),
    seq         INTEGER NOT NULL,
    after_key   BIGINT NOT NULL,
    last_key    BIGINT NOT NULL,
    done        BOOLEAN NOT NULL DEFAULT FALSE,
    owner       TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP,
    PRIMARY KEY (run_id, seq)
);

-- +goose Down
DROP TABLE run_chunks;
