-- The outbox table, one definition for every service that relays through it
-- (their store's migrations include this folder). Version 0 runs before the
-- service's own migrations; IF NOT EXISTS makes it a no-op, recorded, in a
-- schema whose 0001 created the table before the definition lived here.
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  exchange VARCHAR(255) NOT NULL,
  routing_key VARCHAR(255) NOT NULL,
  message_id VARCHAR(255) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
