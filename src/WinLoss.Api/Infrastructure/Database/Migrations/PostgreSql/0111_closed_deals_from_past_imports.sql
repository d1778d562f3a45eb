-- Deals imported from the CRM before closed deals were kept (0110) are closed deals too: one row each, from the
-- imported report's current values. row_hash is empty, so the next import of the same row records it as updated
-- (with the real hash) instead of unchanged; nothing else depends on it. The read side rebuilds at start (its schema
-- changed), so no change-log entries are needed here.
INSERT INTO closed_deals (deal_id, outcome, closed_on, rep_id, amount_cents, currency, account_name, competitor,
                          segment, region, product, source, row_hash, created_at, created_by, updated_at)
SELECT trim(i.deal_id), r.outcome, r.closed_on, r.rep_id, r.amount_cents, r.currency, r.account_name,
       (SELECT c.name FROM report_competitors c WHERE c.report_id = r.id ORDER BY c.is_primary DESC, c.position LIMIT 1),
       r.segment, r.region, r.product, 'crm_import', ''::bytea, i.imported_at, i.imported_by, i.imported_at
FROM crm_import_deals i JOIN reports r ON r.id = i.report_id
WHERE NOT EXISTS (SELECT 1 FROM closed_deals d WHERE d.deal_id = trim(i.deal_id));
