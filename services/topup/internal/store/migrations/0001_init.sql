CREATE TABLE registrations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  chain VARCHAR(16) NOT NULL,
  symbol VARCHAR(16) NOT NULL,
  address CHAR(42) NULL,
  allocated TINYINT(1) NOT NULL,
  user_id VARCHAR(64) NULL,
  callback_url VARCHAR(2048) NULL,
  return_body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_registrations_request (request_id),
  UNIQUE KEY uq_registrations_address (address)
) ENGINE=InnoDB;

CREATE TABLE deposits (
  deposit_id VARCHAR(120) NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  address CHAR(42) NOT NULL,
  symbol VARCHAR(16) NOT NULL,
  amount VARCHAR(80) NOT NULL,
  status TINYINT NOT NULL,
  seq INT UNSIGNED NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY ix_deposits_request (request_id)
) ENGINE=InnoDB;

