-- The checkout: every order gets a random token naming its payer's page
-- (/checkout/<token>). Tokens are base64url, so they are compared byte for
-- byte. Orders from before have none: NULLs never collide in a unique key.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS
  checkout_token VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER callback_url;

CREATE UNIQUE INDEX IF NOT EXISTS uq_orders_checkout_token ON orders (checkout_token);
