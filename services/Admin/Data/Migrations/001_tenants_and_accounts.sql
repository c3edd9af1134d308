-- Tenants and the people who work in them. Numbers below 100 belong to accounts and tokens; configuration
-- tables start at 100.

CREATE TABLE tenants (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL,
    -- Public: the web widget embeds it to ask for visitor tokens.
    site_key        text NOT NULL UNIQUE DEFAULT ('sk_' || replace(gen_random_uuid()::text, '-', '')),
    -- Private: the tenant's backend signs visitor identifiers with it (HMAC-SHA256). Two random UUIDs give
    -- 244 random bits without the pgcrypto extension.
    identity_secret text NOT NULL DEFAULT encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex'),
    settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    login         text NOT NULL CHECK (login = lower(login) AND length(login) BETWEEN 1 AND 100),
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    skill_groups  text[] NOT NULL DEFAULT '{}',
    capacity      integer NOT NULL DEFAULT 5 CHECK (capacity >= 0),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, login)
);

-- Login without a tenant looks the login up across tenants.
CREATE INDEX accounts_login ON accounts (login);
