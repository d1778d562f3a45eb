-- The buyer's side (issue 19): what buyers say about a deal, from an analyst's interview or a one-time survey link.
-- Keyed by the CRM deal id (like reports), not by a report id: an interview may come before the rep files, and a
-- deleted and re-filed report keeps its deal. Soft-deleted like reports (kept, with who, when and why).

CREATE TABLE survey_links (
    id          INTEGER PRIMARY KEY,
    deal_id     TEXT NOT NULL,
    token_hash  BLOB NOT NULL,          -- SHA-256 of the 256-bit token; the token itself is never stored
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE UNIQUE INDEX ux_survey_links_token ON survey_links (token_hash);
CREATE INDEX ix_survey_links_deal ON survey_links (deal_id);

CREATE TABLE buyer_feedback (
    id               INTEGER PRIMARY KEY,
    deal_id          TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('interview','survey')),
    interviewee_role TEXT NOT NULL,
    interviewed_on   TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('won','lost','no_decision')),
    chosen_competitor TEXT,             -- as written; resolved to a competitor through its aliases when read
    chosen_normalized TEXT,
    notes            TEXT,
    survey_link_id   INTEGER REFERENCES survey_links (id),
    created_at       TEXT NOT NULL,
    created_by       INTEGER REFERENCES users (id), -- null for a survey answer (the buyer has no account)
    deleted_at       TEXT,
    deleted_by       INTEGER REFERENCES users (id),
    delete_reason    TEXT
);
CREATE INDEX ix_buyer_feedback_deal ON buyer_feedback (deal_id, id);

-- Ranked reasons: rank 1 is the buyer's primary reason.
CREATE TABLE buyer_feedback_reasons (
    feedback_id INTEGER NOT NULL REFERENCES buyer_feedback (id),
    rank        INTEGER NOT NULL,
    category    TEXT NOT NULL,
    detail      TEXT,
    PRIMARY KEY (feedback_id, rank)
) WITHOUT ROWID;

CREATE TABLE buyer_feedback_competitors (
    feedback_id INTEGER NOT NULL REFERENCES buyer_feedback (id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    normalized  TEXT NOT NULL,
    PRIMARY KEY (feedback_id, position)
) WITHOUT ROWID;

CREATE TABLE buyer_feedback_objections (
    feedback_id INTEGER NOT NULL REFERENCES buyer_feedback (id),
    position    INTEGER NOT NULL,
    category    TEXT NOT NULL,
    text        TEXT,
    PRIMARY KEY (feedback_id, position)
) WITHOUT ROWID;

CREATE TABLE buyer_feedback_quotes (
    feedback_id INTEGER NOT NULL REFERENCES buyer_feedback (id),
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (feedback_id, position)
) WITHOUT ROWID;
