-- Live configuration (services/Admin/Configuration, docs/configuration.md): one JSON document per tenant and
-- section, a change log that the ConfigStream Watch service streams and resumes from, and an audit trail.
-- Tenant '*' holds platform-wide documents.

-- One global, increasing version for every change of every tenant: a subscriber resumes after the last one it saw.
CREATE SEQUENCE config_version;

CREATE TABLE config_documents (
    tenant_id  text NOT NULL,
    section    text NOT NULL,
    document   jsonb NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (tenant_id, section)
);

-- Writers serialize on an advisory lock, so versions commit in order and a reader that has seen version N has
-- seen everything before it.
CREATE TABLE config_changes (
    version    bigint PRIMARY KEY,
    tenant_id  text NOT NULL,
    section    text NOT NULL,
    -- NULL: the tenant's document was removed (back to the defaults).
    document   jsonb,
    changed_at timestamptz NOT NULL
);

CREATE TABLE config_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    text NOT NULL,
    section      text NOT NULL,
    version      bigint NOT NULL,
    action       text NOT NULL CHECK (action IN ('put', 'delete')),
    actor_id     text NOT NULL,
    actor_role   text NOT NULL,
    actor_name   text,
    changed_at   timestamptz NOT NULL,
    old_document jsonb,
    new_document jsonb
);

CREATE INDEX config_audit_by_tenant ON config_audit (tenant_id, id DESC);
