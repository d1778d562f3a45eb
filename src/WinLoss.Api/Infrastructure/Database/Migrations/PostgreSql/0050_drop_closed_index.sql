-- Every query that filters reports by closed_on also asks for live reports (deleted_at IS NULL), which
-- ix_reports_live_closed (closed_on, id) serves; ix_reports_closed was one more B-tree write per filed report.
DROP INDEX ix_reports_closed;
