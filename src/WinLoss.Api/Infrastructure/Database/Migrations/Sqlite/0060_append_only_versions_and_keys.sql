-- report_versions and idempotency_keys were WITHOUT ROWID tables clustered on their lookup keys, holding rows of
-- ~600 and ~800 bytes (the request body of each version; the 201 response stored with each Idempotency-Key). New rows
-- landed inside those B-trees (a new key anywhere in idempotency_keys; at the right edge of report_versions, where
-- SQLite splits index-style pages by rebalancing up to three siblings): 1.8 of the 4.0 pages a filed report added to
-- the WAL.
--
-- report_versions becomes a rowid table (rows append to its last page) with a unique index on (report_id, version).
-- From this migration on, a version's body is the report as stored (the JSON of GET /reports/{id} at that version,
-- which for version 1 is the 201 response); older bodies are the request body as sent. History reads the input fields
-- of either shape.
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

-- An Idempotency-Key now stores only what identifies the request and its report (~100 bytes): its response is the
-- report's version-1 body. Keys stored before keep their own copy of the response (response_body).
CREATE TABLE idempotency_keys_new (
    user_id       INTEGER NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    response_body TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
INSERT INTO idempotency_keys_new (user_id, key, request_hash, report_id, response_body, created_at)
SELECT user_id, key, request_hash,
       COALESCE(CAST(substr(location, length('/api/v1/reports/') + 1) AS INTEGER), json_extract(response_body, '$.id')),
       response_body, created_at
FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
