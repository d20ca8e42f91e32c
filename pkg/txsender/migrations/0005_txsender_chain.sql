-- The chain the sends belong to, the addresses whose signing is stopped
-- because their stored nonce and the chain's disagree, and the alerts already
-- raised (each once). The statements are safe to repeat.
CREATE TABLE IF NOT EXISTS tx_chain (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  chain_id BIGINT UNSIGNED NOT NULL,
  genesis_hash CHAR(66) NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS tx_halts (
  address CHAR(42) NOT NULL PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  stored_nonce BIGINT UNSIGNED NOT NULL,
  chain_nonce BIGINT UNSIGNED NOT NULL,
  pending_nonce BIGINT UNSIGNED NOT NULL,
  message VARCHAR(1024) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS tx_alerts (
  alert_id VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
