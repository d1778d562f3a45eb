-- Competitor and objection rows had three indexes each besides their primary key: by name key, by competitor id,
-- and a partial one of the unmatched rows (competitor id NULL) by name key. The name-key index now also holds the
-- competitor id, so it answers "unmatched rows with these name keys" itself, and the unmatched triage list reads
-- the NULL prefix of the competitor-id index. Each filed report writes one B-tree fewer per table: the intake path
-- is bound by the pages each commit writes.
DROP INDEX ix_report_competitors_unmatched;
DROP INDEX ix_report_competitors_norm;
CREATE INDEX ix_report_competitors_norm ON report_competitors (normalized, competitor_id);

DROP INDEX ix_report_objections_unmatched;
DROP INDEX ix_report_objections_norm;
CREATE INDEX ix_report_objections_norm ON report_objections (competitor_normalized, competitor_id);
