-- A tenant may require that its backend's identity signatures expire (identifierExpires, docs/auth.md): a signature
-- without an expiry, which holds for ever once leaked, is then refused. Off by default: backends written before
-- expiry keep working until their tenant turns it on.

ALTER TABLE tenants ADD COLUMN require_expiring_identity boolean NOT NULL DEFAULT false;
