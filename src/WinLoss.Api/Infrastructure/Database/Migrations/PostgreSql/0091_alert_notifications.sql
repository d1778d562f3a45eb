-- Alerts pushed to webhooks (issue 18): each alert is raised once (alert.raised), not once per report that keeps it
-- true; each completed ISO week gets one digest (digest.weekly). These rows make both "once" promises survive restarts.
CREATE TABLE raised_alerts (
    alert_key  TEXT PRIMARY KEY,            -- kind|subject|granularity|period, e.g. objection|integration|month|2026-11
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    period     TEXT NOT NULL,
    summary    TEXT NOT NULL,
    raised_at  TEXT NOT NULL,
    event_id   BIGINT REFERENCES webhook_events (id)
);
CREATE INDEX ix_raised_alerts_raised_at ON raised_alerts (raised_at);

CREATE TABLE weekly_digests (
    week      TEXT PRIMARY KEY,             -- ISO week label, e.g. 2026-W48
    sent_at   TEXT NOT NULL,
    event_id  BIGINT REFERENCES webhook_events (id)
);
