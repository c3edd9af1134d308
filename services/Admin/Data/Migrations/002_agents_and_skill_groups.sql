-- Agents and skill groups managed through the Admin API (services/Admin/Agents). An account's capacity may be
-- left unset: the tenant's routing_rules.default_agent_capacity applies.

ALTER TABLE accounts ALTER COLUMN capacity DROP NOT NULL;
ALTER TABLE accounts ALTER COLUMN capacity DROP DEFAULT;
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_capacity_check;
UPDATE accounts SET capacity = NULL WHERE capacity < 1;
UPDATE accounts SET capacity = 1000 WHERE capacity > 1000;
ALTER TABLE accounts ADD CONSTRAINT accounts_capacity_check CHECK (capacity IS NULL OR capacity BETWEEN 1 AND 1000);

CREATE TABLE skill_groups (
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    display_name text,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- The skill groups the demo and earlier accounts already name exist as groups.
INSERT INTO skill_groups (tenant_id, name)
SELECT DISTINCT tenant_id, g FROM accounts, unnest(skill_groups) AS g
WHERE g ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
ON CONFLICT DO NOTHING;

-- Who changed which agent or skill group, when, old and new (passwords never recorded).
CREATE TABLE directory_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  text NOT NULL,
    entity     text NOT NULL CHECK (entity IN ('agent', 'skill_group')),
    entity_id  text NOT NULL,
    action     text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    actor_id   text NOT NULL,
    actor_role text NOT NULL,
    actor_name text,
    changed_at timestamptz NOT NULL,
    old_value  jsonb,
    new_value  jsonb
);

CREATE INDEX directory_audit_by_tenant ON directory_audit (tenant_id, id DESC);
