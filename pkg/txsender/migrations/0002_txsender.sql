CREATE TABLE tx_nonces (
  address CHAR(42) NOT NULL PRIMARY KEY,
  next_nonce BIGINT UNSIGNED NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

CREATE TABLE tx_sends (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  send_key VARCHAR(128) NOT NULL,
  purpose VARCHAR(32) NOT NULL,
  ref VARCHAR(128) NOT NULL,
  chain_id BIGINT UNSIGNED NOT NULL,
  from_address CHAR(42) NOT NULL,
  to_address CHAR(42) NOT NULL,
  value DECIMAL(65,0) NOT NULL,
  data BLOB NOT NULL,
  nonce BIGINT UNSIGNED NOT NULL,
  gas_limit BIGINT UNSIGNED NOT NULL,
  confirmations INT UNSIGNED NOT NULL,
  state VARCHAR(16) NOT NULL,
  version INT UNSIGNED NOT NULL DEFAULT 0,
  max_cost DECIMAL(65,0) NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 1,
  tx_hash CHAR(66) NOT NULL,
  first_hash CHAR(66) NOT NULL,
  last_attempt_at DATETIME(6) NOT NULL,
  last_broadcast_at DATETIME(6) NULL,
  broadcast_at DATETIME(6) NULL,
  mined_hash CHAR(66) NULL,
  block_number BIGINT UNSIGNED NULL,
  block_hash CHAR(66) NULL,
  receipt_status TINYINT UNSIGNED NULL,
  gas_used BIGINT UNSIGNED NULL,
  fee DECIMAL(65,0) NULL,
  last_error VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_tx_sends_key (send_key),
  UNIQUE KEY uq_tx_sends_nonce (from_address, nonce),
  KEY ix_tx_sends_state (state, from_address)
) ENGINE=InnoDB;

CREATE TABLE tx_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  send_id BIGINT UNSIGNED NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  gas_tip_cap DECIMAL(65,0) NOT NULL,
  gas_fee_cap DECIMAL(65,0) NOT NULL,
  raw MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_tx_attempts_hash (tx_hash),
  KEY ix_tx_attempts_send (send_id)
) ENGINE=InnoDB;
