-- Closed deals known from the CRM (a CRM history import, or pushed by an integration one at a time or in batches),
-- whether or not a rep has reported them. A closed deal without a live report filed by a rep is a *report request*
-- waiting for its rep (Features/Coverage). deal_id is normalised (NFKC, format characters removed, trimmed).
CREATE TABLE closed_deals (
    id           INTEGER PRIMARY KEY,
    deal_id      TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('won','lost','no_decision')),
    closed_on    TEXT NOT NULL,
    rep_id       INTEGER NOT NULL REFERENCES users (id),
    amount_cents INTEGER,
    currency     TEXT,
    account_name TEXT,
    competitor   TEXT,
    segment      TEXT,
    region       TEXT,
    product      TEXT,
    source       TEXT NOT NULL CHECK (source IN ('crm_import','api')),
    row_hash     BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_closed_deals_deal ON closed_deals (deal_id);
-- The rep's waiting list: their closed deals, newest first.
CREATE INDEX ix_closed_deals_rep ON closed_deals (rep_id, closed_on);
