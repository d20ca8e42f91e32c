-- Derivation indexes of order addresses. AUTO_INCREMENT starts at 1, so index 0
-- (the default shared address of amount mode) is never handed out.
CREATE TABLE address_allocations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

-- One row per accepted order request. Amounts are integer base units.
-- open_slot is 1 while the order is open and NULL once it is closed: NULLs never
-- collide in a unique index, so a closed order releases its payable amount.
CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  order_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  chain VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  decimals INT NOT NULL,
  amount DECIMAL(65,0) NOT NULL,
  pay_address CHAR(42) NOT NULL,
  pay_amount DECIMAL(65,0) NOT NULL,
  mode VARCHAR(8) NOT NULL,
  address_index BIGINT UNSIGNED NULL,
  expires_at DATETIME(6) NOT NULL,
  state VARCHAR(8) NOT NULL,
  open_slot TINYINT NULL,
  covered TINYINT(1) NOT NULL DEFAULT 0,
  callback_url VARCHAR(2048) NULL,
  created_body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_at DATETIME(6) NULL,
  UNIQUE KEY uq_orders_request (request_id),
  UNIQUE KEY uq_orders_order (order_id),
  UNIQUE KEY uq_orders_slot (pay_address, pay_amount, open_slot),
  KEY ix_orders_expiry (state, covered, expires_at),
  KEY ix_orders_match (pay_address, pay_amount, id)
) ENGINE=InnoDB;

-- Transfers matched to an order, with the last event applied (seq).
CREATE TABLE payments (
  transfer_id VARCHAR(120) NOT NULL PRIMARY KEY,
  order_pk BIGINT UNSIGNED NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  log_index INT UNSIGNED NOT NULL,
  from_address CHAR(42) NOT NULL,
  amount DECIMAL(65,0) NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  state VARCHAR(10) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  late TINYINT(1) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY ix_payments_order (order_pk)
) ENGINE=InnoDB;

-- Transfers into the matcher's addresses that match no order, kept for operators.
CREATE TABLE unmatched_transfers (
  transfer_id VARCHAR(120) NOT NULL PRIMARY KEY,
  chain VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  token CHAR(42) NOT NULL,
  to_address CHAR(42) NOT NULL,
  from_address CHAR(42) NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  log_index INT UNSIGNED NOT NULL,
  amount VARCHAR(80) NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  state VARCHAR(10) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY ix_unmatched_to (to_address)
) ENGINE=InnoDB;

