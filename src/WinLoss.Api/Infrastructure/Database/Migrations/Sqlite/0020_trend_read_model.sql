-- Trend read model (docs/api-guide.md, trends). Aggregates of live reports, kept current in the same
-- transaction as every report write (ReportEvents.Removing subtracts a report's contribution,
-- ReportEvents.Written adds it) and rebuildable from the reports (POST /api/v1/admin/read-model/rebuild).
--
-- One fact table: kind says what is counted, k1..k3 are its dimensions, c0..c8 its additive counters.
-- grain/period: 'W' ISO week ('2026-W05'), 'M' month ('2026-01'), 'Q' quarter ('2026-Q1') of closed_on.
-- slice_id: 0 = all reports; otherwise a row of trend_slices (one filter dimension = one value).
-- Slices (slice_id <> 0) are kept at grain M only; their quarters are summed from months, their weeks come from the reports.
-- Competitor keys: '' none named, 'c<id>' a catalogue competitor, 'u<normalized>' an unmatched name,
-- '*' any (all rows of the category). Amounts are in cents, per currency ('' = no amount).
--
-- kind             k1            k2            k3        counters
-- deal             lead_source   currency      ''        c0 deals, c1 won, c2 lost, c3 no_decision, c4 won cents,
--                                                        c5 lost cents, c6 no_decision cents, c7 lead quality sum, c8 rated deals
-- competitor       competitor    currency      'a'|'p'   c0 deals, c1 won, c2 lost, c3 no_decision, c4 won cents, c5 lost cents
--                                                        ('a' every named competitor, 'p' the primary one only; '' = none)
-- objection        category      competitor    currency  c0 mentions, c1 deals, c2 overcome mentions, c3 cents at risk
--                                                        (lost + no_decision), c4 deals at risk
-- objection_rep    category      competitor    rep id    c0 deals of this rep (slice 0 only)
-- objection_reps   category      competitor    ''        c0 distinct reps = rows of objection_rep (slice 0 only)
-- reason           category      outcome       competitor c0 deals, c1 deals where primary
-- message          message id    competitor    outcome   c0 uses, c1 resonated, c2 neutral, c3 fell flat
-- collateral       collateral id outcome       ''        c0 uses
-- Per-competitor keys of objection, reason and message are kept in slice 0 only ('*' in every slice).
CREATE TABLE trend_facts (
    kind     TEXT NOT NULL,
    slice_id INTEGER NOT NULL,
    grain    TEXT NOT NULL CHECK (grain IN ('W','M','Q')),
    period   TEXT NOT NULL,
    k1       TEXT NOT NULL,
    k2       TEXT NOT NULL,
    k3       TEXT NOT NULL,
    c0       INTEGER NOT NULL DEFAULT 0,
    c1       INTEGER NOT NULL DEFAULT 0,
    c2       INTEGER NOT NULL DEFAULT 0,
    c3       INTEGER NOT NULL DEFAULT 0,
    c4       INTEGER NOT NULL DEFAULT 0,
    c5       INTEGER NOT NULL DEFAULT 0,
    c6       INTEGER NOT NULL DEFAULT 0,
    c7       INTEGER NOT NULL DEFAULT 0,
    c8       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, slice_id, grain, period, k1, k2, k3)
) WITHOUT ROWID;

-- A filter value: dim is segment | region | product | industry | stage; value as stored for
-- segment and stage, ASCII-lower-cased for the free-text dimensions (filters ignore case).
CREATE TABLE trend_slices (
    id    INTEGER PRIMARY KEY,
    dim   TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (dim, value)
);

-- Trend queries over a date range filter reports by closed_on; raw lookups for partial periods use it.
CREATE INDEX ix_reports_live_closed ON reports (closed_on, id) WHERE deleted_at IS NULL;
