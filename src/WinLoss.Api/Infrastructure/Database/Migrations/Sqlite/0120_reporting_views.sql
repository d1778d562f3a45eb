-- Stable reporting views for BI tools that read the database file (docs/postgresql.md "BI access" describes the
-- PostgreSQL edition, in a schema "reporting"; SQLite has no schemas, so the same views are named reporting_*).
-- Columns as on PostgreSQL, in SQLite's storage: dates and timestamps are ISO-8601 text, booleans 0/1.
-- Only live reports appear: a deleted report (deleted_at set) and its child rows are left out. Competitor names are
-- the catalogue's (the survivor's name when the competitor was merged), or the name as written when it matches no
-- catalogue competitor. These columns are a contract with dashboards: add columns at the end; never rename or drop one.

-- One row per live report: its fields, its rep, its primary competitor and its primary reason.
CREATE VIEW reporting_reports AS
SELECT r.id                                              AS report_id,
       r.deal_id,
       r.outcome,
       r.outcome = 'won'                                 AS won,
       r.closed_on,
       substr(r.closed_on, 1, 7) || '-01'                AS closed_month,
       r.amount_cents,
       r.amount_cents / 100.0                            AS amount,
       r.currency,
       r.segment,
       r.stage_reached,
       r.region,
       r.industry,
       r.product,
       r.account_name,
       r.lead_source,
       r.lead_quality,
       r.rep_id,
       u.display_name                                    AS rep_name,
       u.email                                           AS rep_email,
       u.team                                            AS rep_team,
       u.region                                          AS rep_region,
       (SELECT COALESCE(m.id, c.id) FROM report_competitors x
            LEFT JOIN competitors c ON c.id = x.competitor_id LEFT JOIN competitors m ON m.id = c.merged_into_id
        WHERE x.report_id = r.id AND x.is_primary = 1 ORDER BY x.position LIMIT 1) AS primary_competitor_id,
       (SELECT COALESCE(m.name, c.name, x.name) FROM report_competitors x
            LEFT JOIN competitors c ON c.id = x.competitor_id LEFT JOIN competitors m ON m.id = c.merged_into_id
        WHERE x.report_id = r.id AND x.is_primary = 1 ORDER BY x.position LIMIT 1) AS primary_competitor,
       (SELECT count(*) FROM report_competitors x WHERE x.report_id = r.id) AS competitor_count,
       pr.category                                       AS primary_reason,
       rc.label                                          AS primary_reason_label,
       pr.detail                                         AS primary_reason_detail,
       (SELECT count(*) FROM report_objections x WHERE x.report_id = r.id) AS objection_count,
       r.version,
       r.created_at,
       r.updated_at
FROM reports r
JOIN users u ON u.id = r.rep_id
LEFT JOIN report_reasons pr ON pr.report_id = r.id AND pr.position =
    (SELECT min(x.position) FROM report_reasons x WHERE x.report_id = r.id AND x.is_primary = 1)
LEFT JOIN reason_categories rc ON rc.code = pr.category
WHERE r.deleted_at IS NULL;

-- One row per competitor named on a live report.
CREATE VIEW reporting_report_competitors AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       r.closed_on,
       x.position,
       COALESCE(m.id, c.id)                              AS competitor_id,
       COALESCE(m.name, c.name, x.name)                  AS competitor,
       x.name                                            AS name_as_written,
       x.competitor_id IS NOT NULL                       AS matched,
       x.is_primary = 1                                  AS is_primary,
       r.amount_cents,
       r.currency,
       r.segment,
       r.region,
       r.product,
       r.rep_id
FROM report_competitors x
JOIN reports r ON r.id = x.report_id
LEFT JOIN competitors c ON c.id = x.competitor_id
LEFT JOIN competitors m ON m.id = c.merged_into_id
WHERE r.deleted_at IS NULL;

-- One row per reason given on a live report.
CREATE VIEW reporting_report_reasons AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       r.closed_on,
       x.position,
       x.category,
       rc.label                                          AS category_label,
       x.detail,
       x.is_primary = 1                                  AS is_primary,
       r.segment,
       r.region,
       r.product,
       r.rep_id
FROM report_reasons x
JOIN reports r ON r.id = x.report_id
LEFT JOIN reason_categories rc ON rc.code = x.category
WHERE r.deleted_at IS NULL;

-- One row per objection raised on a live report.
CREATE VIEW reporting_report_objections AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       r.closed_on,
       x.position,
       x.category,
       oc.label                                          AS category_label,
       COALESCE(m.id, c.id)                              AS competitor_id,
       COALESCE(m.name, c.name, x.competitor)            AS competitor,
       x.competitor                                      AS competitor_as_written,
       x.text,
       x.overcome = 1                                    AS overcome,
       r.amount_cents,
       r.currency,
       r.segment,
       r.region,
       r.product,
       r.rep_id
FROM report_objections x
JOIN reports r ON r.id = x.report_id
LEFT JOIN objection_categories oc ON oc.code = x.category
LEFT JOIN competitors c ON c.id = x.competitor_id
LEFT JOIN competitors m ON m.id = c.merged_into_id
WHERE r.deleted_at IS NULL;
