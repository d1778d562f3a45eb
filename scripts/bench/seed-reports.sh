#!/usr/bin/env bash
# Bulk generator shared by the benchmarks: writes N synthetic reports (with competitors, reasons and objections)
# straight into a migrated WinLoss SQLite file with sqlite3, deterministically from SEED (same N and SEED → same
# rows). Realistic skew: 25 competitors (a few dominate), 3 years of close dates, 3 segments, 5 regions,
# 4 products, 6 industries, 6 stages; ~38% won, 40% lost, 22% no decision; 85% name a competitor, 30% two;
# every lost/no-decision report has a reason; 60% carry an objection.
#   scripts/bench/seed-reports.sh DB N [SEED]
# The service must have started once on DB (migrations, admin) and be stopped while this runs. It writes the
# report tables only: read models kept by ReportEvents (trends) must be rebuilt afterwards.
set -euo pipefail
db=$1; n=$2; seed=${3:-42}
command -v sqlite3 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null)
sqlite3 "$db" >/dev/null <<SQL
PRAGMA synchronous = OFF;
PRAGMA journal_mode = WAL;
PRAGMA cache_size = -200000;
BEGIN;
INSERT INTO users (email, display_name, role, created_at)
  WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 40)
  SELECT 'bench-rep-' || i || '@example.com', 'Bench Rep ' || i, 'rep', '2026-01-01T00:00:00.000Z' FROM r;
INSERT INTO competitors (name, created_at)
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 25)
  SELECT 'Competitor ' || i, '2026-01-01T00:00:00.000Z' FROM c;
INSERT OR IGNORE INTO competitor_aliases (normalized, alias, competitor_id)
  SELECT 'competitor' || substr(name, 12), name, id FROM competitors WHERE name LIKE 'Competitor %';
CREATE TEMP TABLE g AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
  SELECT i, abs((i * 2654435761 + $seed * 40503) % 2147483647) AS h1,
            abs((i * 1103515245 + $seed * 12345 + 7) % 2147483629) AS h2,
            abs((i * 69069 + $seed * 1013904223 + 11) % 2147483587) AS h3
  FROM n;
CREATE TEMP TABLE reps AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE email LIKE 'bench-rep-%';
CREATE TEMP TABLE base AS SELECT COALESCE(MAX(id), 0) AS b FROM reports;
CREATE TEMP TABLE comps AS SELECT id, row_number() OVER (ORDER BY id) AS k, name FROM competitors WHERE name LIKE 'Competitor %';
INSERT INTO reports (deal_id, rep_id, outcome, closed_on, amount_cents, currency, segment, stage_reached, region, industry,
                     product, account_name, lead_source, lead_quality, notes, version, created_at, created_by, updated_at)
SELECT 'GEN-' || $seed || '-' || i,
       (SELECT id FROM reps WHERE k = h3 % 40),
       CASE WHEN h1 % 100 < 38 THEN 'won' WHEN h1 % 100 < 78 THEN 'lost' ELSE 'no_decision' END,
       date('2023-11-01', '+' || (h2 % 1095) || ' days'),
       (1000 + h3 % 250000) * 100,
       CASE WHEN h2 % 10 = 0 THEN 'EUR' ELSE 'USD' END,
       CASE h1 % 7 WHEN 0 THEN 'enterprise' WHEN 1 THEN 'enterprise' WHEN 2 THEN 'mid_market' WHEN 3 THEN 'mid_market' ELSE 'smb' END,
       CASE h2 % 6 WHEN 0 THEN 'qualification' WHEN 1 THEN 'discovery' WHEN 2 THEN 'demo' WHEN 3 THEN 'proposal' WHEN 4 THEN 'negotiation' ELSE 'closing' END,
       CASE h3 % 5 WHEN 0 THEN 'EMEA' WHEN 1 THEN 'NA East' WHEN 2 THEN 'NA West' WHEN 3 THEN 'APAC' ELSE 'LATAM' END,
       CASE h1 % 6 WHEN 0 THEN 'Retail' WHEN 1 THEN 'Finance' WHEN 2 THEN 'Healthcare' WHEN 3 THEN 'Manufacturing' WHEN 4 THEN 'Software' ELSE 'Public sector' END,
       CASE h2 % 4 WHEN 0 THEN 'Platform' WHEN 1 THEN 'Analytics' WHEN 2 THEN 'Integrations' ELSE 'Mobile' END,
       'Account ' || (h3 % 20000),
       CASE h1 % 5 WHEN 0 THEN 'webinar' WHEN 1 THEN 'referral' WHEN 2 THEN 'outbound' ELSE NULL END,
       CASE WHEN h2 % 3 = 0 THEN 1 + h3 % 5 ELSE NULL END,
       NULL, 1, '2026-01-01T00:00:00.000Z', 1, '2026-01-01T00:00:00.000Z'
FROM g ORDER BY i;
-- Rows were inserted in order of i on an INTEGER PRIMARY KEY: report id = previous max id + i.
CREATE TEMP TABLE rg AS SELECT (SELECT b FROM base) + i AS id, h1, h2, h3,
       CASE WHEN h1 % 100 < 38 THEN 'won' WHEN h1 % 100 < 78 THEN 'lost' ELSE 'no_decision' END AS outcome FROM g;
-- Primary competitor for 85%: skewed towards the first few (quadratic).
INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary)
SELECT rg.id, 0, c.name, 'competitor' || c.k, c.id, 1
FROM rg JOIN comps c ON c.k = 1 + ((rg.h2 / 7) % 100) * ((rg.h2 / 7) % 100) / 400
WHERE rg.h1 % 100 < 85;
INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary)
SELECT rg.id, 1, c.name, 'competitor' || c.k, c.id, 0
FROM rg JOIN comps c ON c.k = 1 + (rg.h3 / 11) % 25
WHERE rg.h1 % 100 < 85 AND rg.h3 % 10 < 3 AND c.k <> 1 + ((rg.h2 / 7) % 100) * ((rg.h2 / 7) % 100) / 400;
INSERT INTO report_reasons (report_id, position, category, detail, is_primary)
SELECT rg.id, 0,
       CASE (rg.h3 / 13) % 12 WHEN 0 THEN 'price' WHEN 1 THEN 'price' WHEN 2 THEN 'product_gap' WHEN 3 THEN 'integration'
            WHEN 4 THEN 'security_compliance' WHEN 5 THEN 'implementation_risk' WHEN 6 THEN 'vendor_viability'
            WHEN 7 THEN 'relationship' WHEN 8 THEN 'timing' WHEN 9 THEN 'budget' WHEN 10 THEN 'status_quo' ELSE 'support' END,
       CASE WHEN rg.h2 % 4 = 0 THEN 'generated detail ' || (rg.h1 % 100) ELSE NULL END, 1
FROM rg WHERE rg.outcome <> 'won' OR rg.h2 % 3 = 0;
INSERT INTO report_objections (report_id, position, category, competitor, competitor_normalized, competitor_id, text, overcome)
SELECT rg.id, 0,
       CASE (rg.h1 / 17) % 11 WHEN 0 THEN 'price' WHEN 1 THEN 'missing_feature' WHEN 2 THEN 'integration' WHEN 3 THEN 'security'
            WHEN 4 THEN 'performance' WHEN 5 THEN 'ease_of_use' WHEN 6 THEN 'implementation_time' WHEN 7 THEN 'vendor_size'
            WHEN 8 THEN 'references' WHEN 9 THEN 'contract_terms' ELSE 'other' END,
       NULL, NULL, NULL, CASE WHEN rg.h3 % 2 = 0 THEN 'objection text ' || (rg.h2 % 1000) ELSE NULL END, rg.h2 % 2
FROM rg WHERE rg.h3 % 10 < 6;
COMMIT;
SQL
