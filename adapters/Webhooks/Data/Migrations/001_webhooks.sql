-- Outgoing webhooks (docs/webhooks.md): what tenants registered, and one row per delivery of an event to one of them.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    tenant_id   text NOT NULL,
    url         text NOT NULL,
    secret      text NOT NULL,
    events      text[] NOT NULL,
    description text NOT NULL DEFAULT '',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id);

-- id is the delivery id receivers de-duplicate by (UUIDv7). source_id names what caused it (the event's event_id,
-- or conversation:message_id of a chat message): a JetStream message delivered again makes no second row.
-- body is the exact JSON sent on every attempt (the signature covers timestamp and body).
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    tenant_id       text NOT NULL,
    event           text NOT NULL,
    source_id       text NOT NULL,
    body            text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    UNIQUE (webhook_id, event, source_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (tenant_id, webhook_id, dead_at) WHERE state = 'dead';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
