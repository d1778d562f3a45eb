-- Read side (docs/architecture.md "Read side"): the trend cube kept inside the write transaction gives way to a
-- projection in an embedded columnar engine (DuckDB), fed by this change log. Every write that changes what a
-- projection shows appends (entity, id) here in the same transaction; projectors replay the log in seq order and
-- replace the rows of each changed entity. seq is assigned by the single writer, so seq order is commit order.
CREATE TABLE read_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);

-- Old log entries are pruned; a projection whose position is below pruned_through must be rebuilt.
CREATE TABLE read_changes_pruned (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through INTEGER NOT NULL
);
INSERT INTO read_changes_pruned (id, pruned_through) VALUES (1, 0);

DROP TABLE trend_facts;
DROP TABLE trend_slices;
