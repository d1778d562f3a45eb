-- Core schema: users and keys, reports with their child rows and version history,
-- idempotency keys, and the taxonomy tables reports are validated against.
-- Migration number ranges by area: 0001-0009 core, 0010-0019 taxonomy, 0020-0029 trends,
-- 0030-0039 exports/imports, 0040-0049 identity/audit.

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('rep','marketing','analyst','admin')),
    team         TEXT,
    region       TEXT,
    created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_users_email ON users (email COLLATE NOCASE);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (hash);
CREATE INDEX ix_api_keys_user ON api_keys (user_id);

CREATE TABLE competitors (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    merged_into_id INTEGER REFERENCES competitors (id),
    created_at TEXT NOT NULL
);

-- Every name that resolves to a competitor (its own name included), by normalised key.
CREATE TABLE competitor_aliases (
    normalized    TEXT PRIMARY KEY,
    alias         TEXT NOT NULL,
    competitor_id INTEGER NOT NULL REFERENCES competitors (id)
) WITHOUT ROWID;
CREATE INDEX ix_competitor_aliases_competitor ON competitor_aliases (competitor_id);

CREATE TABLE reason_categories (
    code        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    seeded      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE objection_categories (
    code        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    seeded      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog_messages (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    pillar     TEXT,
    stage      TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog_collateral (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    kind       TEXT,
    url        TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    deal_id       TEXT NOT NULL,
    rep_id        INTEGER NOT NULL REFERENCES users (id),
    outcome       TEXT NOT NULL CHECK (outcome IN ('won','lost','no_decision')),
    closed_on     TEXT NOT NULL,
    amount_cents  INTEGER,
    currency      TEXT,
    segment       TEXT,
    stage_reached TEXT,
    region        TEXT,
    industry      TEXT,
    product       TEXT,
    account_name  TEXT,
    lead_source   TEXT,
    lead_quality  INTEGER,
    notes         TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    created_by    INTEGER NOT NULL REFERENCES users (id),
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    deleted_by    INTEGER REFERENCES users (id),
    delete_reason TEXT
);
-- One live report per deal; a deleted report frees its deal id.
CREATE UNIQUE INDEX ux_reports_deal ON reports (deal_id) WHERE deleted_at IS NULL;
CREATE INDEX ix_reports_rep ON reports (rep_id, id);
CREATE INDEX ix_reports_closed ON reports (closed_on);

CREATE TABLE report_competitors (
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    normalized    TEXT NOT NULL,
    competitor_id INTEGER REFERENCES competitors (id),
    is_primary    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;
CREATE INDEX ix_report_competitors_norm ON report_competitors (normalized);
CREATE INDEX ix_report_competitors_comp ON report_competitors (competitor_id);

CREATE TABLE report_reasons (
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    position   INTEGER NOT NULL,
    category   TEXT NOT NULL,
    detail     TEXT,
    is_primary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;

CREATE TABLE report_objections (
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    position      INTEGER NOT NULL,
    category      TEXT NOT NULL,
    competitor    TEXT,
    competitor_normalized TEXT,
    competitor_id INTEGER REFERENCES competitors (id),
    text          TEXT,
    overcome      INTEGER NOT NULL,
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;
CREATE INDEX ix_report_objections_norm ON report_objections (competitor_normalized);

CREATE TABLE report_messages (
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    position   INTEGER NOT NULL,
    message_id TEXT NOT NULL REFERENCES catalog_messages (id),
    resonance  TEXT NOT NULL CHECK (resonance IN ('resonated','neutral','fell_flat')),
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;

CREATE TABLE report_collateral (
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    position      INTEGER NOT NULL,
    collateral_id TEXT NOT NULL REFERENCES catalog_collateral (id),
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;

-- Every version of every report as it was filed or amended (JSON of the request body).
CREATE TABLE report_versions (
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (report_id, version)
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    user_id         INTEGER NOT NULL,
    key             TEXT NOT NULL,
    request_hash    BLOB NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   TEXT NOT NULL,
    location        TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;

INSERT INTO reason_categories (code, label, seeded, created_at) VALUES
 ('price','Price',1,'2026-01-01T00:00:00Z'),
 ('product_gap','Product gap',1,'2026-01-01T00:00:00Z'),
 ('integration','Integration',1,'2026-01-01T00:00:00Z'),
 ('security_compliance','Security and compliance',1,'2026-01-01T00:00:00Z'),
 ('implementation_risk','Implementation risk',1,'2026-01-01T00:00:00Z'),
 ('vendor_viability','Vendor viability',1,'2026-01-01T00:00:00Z'),
 ('relationship','Relationship',1,'2026-01-01T00:00:00Z'),
 ('timing','Timing',1,'2026-01-01T00:00:00Z'),
 ('budget','Budget',1,'2026-01-01T00:00:00Z'),
 ('status_quo','Status quo',1,'2026-01-01T00:00:00Z'),
 ('support','Support',1,'2026-01-01T00:00:00Z'),
 ('other','Other',1,'2026-01-01T00:00:00Z');

INSERT INTO objection_categories (code, label, seeded, created_at) VALUES
 ('price','Price',1,'2026-01-01T00:00:00Z'),
 ('missing_feature','Missing feature',1,'2026-01-01T00:00:00Z'),
 ('integration','Integration',1,'2026-01-01T00:00:00Z'),
 ('security','Security',1,'2026-01-01T00:00:00Z'),
 ('performance','Performance',1,'2026-01-01T00:00:00Z'),
 ('ease_of_use','Ease of use',1,'2026-01-01T00:00:00Z'),
 ('implementation_time','Implementation time',1,'2026-01-01T00:00:00Z'),
 ('vendor_size','Vendor size',1,'2026-01-01T00:00:00Z'),
 ('references','References',1,'2026-01-01T00:00:00Z'),
 ('contract_terms','Contract terms',1,'2026-01-01T00:00:00Z'),
 ('other','Other',1,'2026-01-01T00:00:00Z');

-- Who did what, when: key issued/revoked, user created, report deleted, export made, ...
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    user_id  INTEGER,
    role     TEXT,
    action   TEXT NOT NULL,
    target   TEXT,
    details  TEXT
);
CREATE INDEX ix_audit_log_at ON audit_log (at);
