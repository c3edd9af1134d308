-- Secret rotation with overlap (docs/webhooks.md): the secret before the last rotation keeps signing, beside the new
-- one, until previous_secret_expires_at.
ALTER TABLE webhooks ADD COLUMN previous_secret text;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at timestamptz;
