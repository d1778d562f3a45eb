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

-- Categories list in a stable order: the contract's seed order, then added ones in the order they were added.
ALTER TABLE reason_categories ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE objection_categories ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE reason_categories SET position = CASE code
    WHEN 'price' THEN 1 WHEN 'product_gap' THEN 2 WHEN 'integration' THEN 3 WHEN 'security_compliance' THEN 4
    WHEN 'implementation_risk' THEN 5 WHEN 'vendor_viability' THEN 6 WHEN 'relationship' THEN 7 WHEN 'timing' THEN 8
    WHEN 'budget' THEN 9 WHEN 'status_quo' THEN 10 WHEN 'support' THEN 11 WHEN 'other' THEN 12 ELSE 100 END;
UPDATE objection_categories SET position = CASE code
    WHEN 'price' THEN 1 WHEN 'missing_feature' THEN 2 WHEN 'integration' THEN 3 WHEN 'security' THEN 4
    WHEN 'performance' THEN 5 WHEN 'ease_of_use' THEN 6 WHEN 'implementation_time' THEN 7 WHEN 'vendor_size' THEN 8
    WHEN 'references' THEN 9 WHEN 'contract_terms' THEN 10 WHEN 'other' THEN 11 ELSE 100 END;
