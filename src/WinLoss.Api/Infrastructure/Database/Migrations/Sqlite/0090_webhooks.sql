-- Webhooks (issue 18): endpoints, the outbox of events, and one delivery per (endpoint, event) with its attempts.
-- An event and its deliveries are written in the same transaction as the change that raised it; the delivery
-- worker only reads due deliveries and records attempts, so a kill -9 loses nothing (a delivery in flight is still
-- 'pending' and is sent again after the restart, with the same webhook-id: at-least-once).
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,            -- JSON array of event types, e.g. ["report.filed","alert.raised"]
    format          TEXT NOT NULL CHECK (format IN ('standard', 'slack')),
    description     TEXT,
    secret          BLOB NOT NULL,            -- the signing key, AES-256-GCM encrypted (docs/webhooks.md "Secrets")
    created_at      TEXT NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users (id),
    disabled_at     TEXT,                     -- set when the receiver answered 410 Gone
    disabled_reason TEXT,
    deleted_at      TEXT
);

CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,          -- the webhook-id header: the same on every attempt and redelivery
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,                 -- the Standard Webhooks body {type, timestamp, data}, sent byte for byte
    created_at TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,                     -- UTC; set while pending
    last_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    redelivery_of   INTEGER REFERENCES webhook_deliveries (id)
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX ix_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at TEXT NOT NULL,
    status      INTEGER,                      -- HTTP status; null when no response (refused, timeout, connection error)
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
