-- Taxonomy: indexes for re-attribution (by competitor id) and for the unmatched-names triage list.

CREATE INDEX ix_report_objections_comp ON report_objections (competitor_id);

-- Unmatched names are the rows without a competitor: small partial indexes keep the triage list cheap.
CREATE INDEX ix_report_competitors_unmatched ON report_competitors (normalized) WHERE competitor_id IS NULL;
CREATE INDEX ix_report_objections_unmatched ON report_objections (competitor_normalized)
    WHERE competitor_id IS NULL AND competitor_normalized IS NOT NULL;

CREATE INDEX ix_competitors_merged ON competitors (merged_into_id) WHERE merged_into_id IS NOT NULL;

-- "Is this catalogue item referenced by any report?" (DELETE answers 409 when it is) and per-item usage.
CREATE INDEX ix_report_messages_message ON report_messages (message_id);
CREATE INDEX ix_report_collateral_collateral ON report_collateral (collateral_id);
