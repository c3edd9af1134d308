-- Tickets raised from conversations and handed to the order system as work orders (docs/tickets.md).
-- One row per ticket request: the request id is the idempotency key from Session's TicketRequested.
CREATE TABLE tickets (
    ticket_request_id   text PRIMARY KEY,
    tenant_id           text NOT NULL,
    conversation_id     text NOT NULL,
    customer_id         text NOT NULL DEFAULT '',
    agent_id            text NOT NULL DEFAULT '',
    summary             text NOT NULL DEFAULT '',
    state               text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'created', 'rejected')),
    work_order_number   text,
    reason              text,
    requested_at        timestamptz NOT NULL,
    -- When RabbitMQ confirmed the CreateWorkOrder (null: not handed over yet).
    sent_at             timestamptz,
    resolved_at         timestamptz,
    -- When the TicketResult reached JetStream (null: still to publish).
    result_published_at timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'created') = (work_order_number IS NOT NULL))
);

CREATE INDEX tickets_by_conversation ON tickets (tenant_id, conversation_id);
CREATE INDEX tickets_unpublished ON tickets (resolved_at) WHERE state <> 'requested' AND result_published_at IS NULL;
