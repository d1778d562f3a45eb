-- CRM history imports: which report each imported deal became, and a hash of the mapped CRM row,
-- so that re-importing a file creates nothing, identical rows stay unchanged and changed rows
-- become a new version of the same report.
CREATE TABLE crm_import_deals (
    deal_id     TEXT PRIMARY KEY,
    report_id   BIGINT NOT NULL REFERENCES reports (id),
    row_hash    BYTEA NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by BIGINT NOT NULL REFERENCES users (id)
);
CREATE INDEX ix_crm_import_deals_report ON crm_import_deals (report_id);
