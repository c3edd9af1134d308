-- Rotating a tenant's identity secret (services/Admin/Accounts/IdentitySecretApi.cs, docs/auth.md#identified-visitors):
-- the secret before the last rotation still verifies identifierHash until previous_identity_secret_until, so the
-- tenant's backend can switch to the new one without signing any visitor out.

ALTER TABLE tenants ADD COLUMN previous_identity_secret text;
ALTER TABLE tenants ADD COLUMN previous_identity_secret_until timestamptz;
