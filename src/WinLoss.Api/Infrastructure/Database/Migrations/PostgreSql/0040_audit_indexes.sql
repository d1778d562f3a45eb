-- Audit log filters: by actor and by action, newest first (ids grow with time).
CREATE INDEX ix_audit_log_user ON audit_log (user_id, id);
CREATE INDEX ix_audit_log_action ON audit_log (action, id);
