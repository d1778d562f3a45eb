-- report_versions and idempotency_keys were WITHOUT ROWID tables clustered on their lookup keys, holding rows of
-- ~600 and ~800 bytes (the version body, the stored 201 response). New rows landed inside those B-trees (a new key
-- anywhere in idempotency_keys; at the right edge of report_versions, where SQLite splits index-style pages by
-- rebalancing up to three siblings): 1.8 of the 4.0 pages a filed report added to the WAL. As rowid tables the
-- rows are appended to the last page, and the lookups go through small unique indexes on the same keys.
CREATE TABLE report_versions_new (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER NOT NULL REFERENCES users (id)
);
INSERT INTO report_versions_new (report_id, version, body, changed_at, changed_by)
SELECT report_id, version, body, changed_at, changed_by FROM report_versions ORDER BY report_id, version;
DROP TABLE report_versions;
ALTER TABLE report_versions_new RENAME TO report_versions;
CREATE UNIQUE INDEX ux_report_versions ON report_versions (report_id, version);

CREATE TABLE idempotency_keys_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    key             TEXT NOT NULL,
    request_hash    BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   TEXT NOT NULL,
    location        TEXT,
    created_at      TEXT NOT NULL
);
INSERT INTO idempotency_keys_new (user_id, key, request_hash, response_status, response_body, location, created_at)
SELECT user_id, key, request_hash, response_status, response_body, location, created_at FROM idempotency_keys ORDER BY created_at;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
CREATE UNIQUE INDEX ux_idempotency_keys ON idempotency_keys (user_id, key);
