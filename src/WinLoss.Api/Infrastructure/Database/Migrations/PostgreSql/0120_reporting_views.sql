-- Stable reporting views for BI tools (Metabase, Power BI, Tableau) that connect to the database directly
-- (docs/postgresql.md "BI access"). They live in their own schema, "reporting", with proper column types (dates,
-- booleans, timestamps with time zone) cast from the stored text and 0/1 flags. Only live reports appear: a deleted
-- report (deleted_at set) and its child rows are left out. Competitor names are the catalogue's (the survivor's name
-- when the competitor was merged), or the name as written when it matches no catalogue competitor.
-- The views run with their owner's rights, so a reader needs SELECT on the views only, not on the tables.
-- These columns are a contract with dashboards: add columns at the end; never rename or drop one.
CREATE SCHEMA reporting;

-- One row per live report: its fields, its rep, its primary competitor and its primary reason.
CREATE VIEW reporting.reports AS
SELECT r.id                                              AS report_id,
       r.deal_id,
       r.outcome,
       r.outcome = 'won'                                 AS won,
       CAST(r.closed_on AS date)                         AS closed_on,
       CAST(date_trunc('month', CAST(r.closed_on AS date)) AS date) AS closed_month,
       r.amount_cents,
       CAST(r.amount_cents / 100.0 AS numeric(20, 2))    AS amount,
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
       pc.competitor_id                                  AS primary_competitor_id,
       pc.competitor                                     AS primary_competitor,
       (SELECT count(*) FROM report_competitors x WHERE x.report_id = r.id) AS competitor_count,
       pr.category                                       AS primary_reason,
       rc.label                                          AS primary_reason_label,
       pr.detail                                         AS primary_reason_detail,
       (SELECT count(*) FROM report_objections x WHERE x.report_id = r.id) AS objection_count,
       r.version,
       CAST(r.created_at AS timestamptz)                 AS created_at,
       CAST(r.updated_at AS timestamptz)                 AS updated_at
FROM reports r
JOIN users u ON u.id = r.rep_id
LEFT JOIN LATERAL (
    SELECT COALESCE(m.id, c.id) AS competitor_id, COALESCE(m.name, c.name, x.name) AS competitor
    FROM report_competitors x
    LEFT JOIN competitors c ON c.id = x.competitor_id
    LEFT JOIN competitors m ON m.id = c.merged_into_id
    WHERE x.report_id = r.id AND x.is_primary = 1
    ORDER BY x.position
    LIMIT 1) pc ON true
LEFT JOIN LATERAL (
    SELECT x.category, x.detail
    FROM report_reasons x
    WHERE x.report_id = r.id AND x.is_primary = 1
    ORDER BY x.position
    LIMIT 1) pr ON true
LEFT JOIN reason_categories rc ON rc.code = pr.category
WHERE r.deleted_at IS NULL;

-- One row per competitor named on a live report.
CREATE VIEW reporting.report_competitors AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       CAST(r.closed_on AS date)                         AS closed_on,
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
CREATE VIEW reporting.report_reasons AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       CAST(r.closed_on AS date)                         AS closed_on,
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
CREATE VIEW reporting.report_objections AS
SELECT x.report_id,
       r.deal_id,
       r.outcome,
       CAST(r.closed_on AS date)                         AS closed_on,
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

-- The read-only role BI users are granted (roles are per cluster, so it may exist already from another database).
-- It is created only when the migrating user may create roles; otherwise an administrator creates it (commands in
-- docs/postgresql.md) and grants it as below. A role of this name that exists is granted read access to the views.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'winloss_reporting') THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            BEGIN
                CREATE ROLE winloss_reporting NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created at the same moment by a migration of another database of this cluster
            END;
        ELSE
            RAISE NOTICE 'role winloss_reporting not created (% may not create roles); see docs/postgresql.md', current_user;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'winloss_reporting') THEN
        GRANT USAGE ON SCHEMA reporting TO winloss_reporting;
        GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO winloss_reporting;
    END IF;
END
$$;
