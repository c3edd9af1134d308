-- Revocation of the tokens an account holds (services/Admin/Accounts/AccountRevocations.cs, docs/auth.md#revocation).
-- Every token carries its account's token_version (claim ver); a role change, deactivation, deletion, password
-- reset or logout raises it and records the new minimum here, and Admin announces it through Redis to the
-- gateways and Session. A row outlives its account (a deleted account's tokens stay revoked) and is dropped once
-- every token issued before it has expired.

ALTER TABLE accounts ADD COLUMN token_version integer NOT NULL DEFAULT 0;

CREATE TABLE token_revocations (
    tenant_id   text NOT NULL,
    account_id  uuid NOT NULL,
    -- Tokens with a lower ver are revoked; 2147483647 for a deleted account.
    min_version integer NOT NULL,
    reason      text NOT NULL,
    revoked_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);

CREATE INDEX token_revocations_expiry ON token_revocations (expires_at);
