-- The deposit addresses the suite allocated, learned from topup's sealed
-- announcements: withdraw refuses them as recipients (invalid_address).
CREATE TABLE deposit_addresses (
  address CHAR(42) NOT NULL PRIMARY KEY,
  chain VARCHAR(32) NOT NULL,
  hd_index INT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
