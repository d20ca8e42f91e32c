CREATE TABLE cursor_state (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  genesis_hash CHAR(66) NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  block_hash CHAR(66) NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE blocks (
  number BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  hash CHAR(66) NOT NULL,
  parent_hash CHAR(66) NOT NULL
) ENGINE=InnoDB;

CREATE TABLE watched (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  address CHAR(42) NOT NULL,
  owner VARCHAR(32) NOT NULL,
  backfill_pending TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_watched_address (address),
  KEY ix_watched_backfill (backfill_pending)
) ENGINE=InnoDB;

CREATE TABLE transfers (
  id VARCHAR(120) NOT NULL PRIMARY KEY,
  symbol VARCHAR(16) NOT NULL,
  token CHAR(42) NOT NULL,
  decimals INT NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  log_index INT UNSIGNED NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  block_hash CHAR(66) NOT NULL,
  from_address CHAR(42) NOT NULL,
  to_address CHAR(42) NOT NULL,
  amount VARCHAR(80) NOT NULL,
  owner VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  seq INT UNSIGNED NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY ix_transfers_status_block (status, block_number),
  KEY ix_transfers_block (block_number)
) ENGINE=InnoDB;

CREATE TABLE leader_lease (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  holder VARCHAR(128) NOT NULL,
  expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;

