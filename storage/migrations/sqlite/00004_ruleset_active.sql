-- The active version of each rule set, for the instances that share a
-- database: an activation on any of them writes it (generation counts
-- the activations), and the others switch to it. Of two activations at
-- once, the one committed last is the active version, the same for all.

-- +goose Up
CREATE TABLE ruleset_active (
    ruleset_id   TEXT PRIMARY KEY,
    hash         TEXT NOT NULL,
    generation   BIGINT NOT NULL,
    activated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE ruleset_active;
