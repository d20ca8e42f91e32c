-- The deposit addresses the suite allocated, learned from topup's sealed
-- announcements: withdraw refuses them as recipients (invalid_address), pay
-- signs for them. Pay's schema had the table from its 0001 before this file
-- was shared, hence IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS deposit_addresses (
  address CHAR(42) NOT NULL PRIMARY KEY,
  chain VARCHAR(32) NOT NULL,
  hd_index INT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
