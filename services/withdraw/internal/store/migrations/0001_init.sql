CREATE TABLE withdrawals (
  request_id VARCHAR(64) NOT NULL PRIMARY KEY,
  chain VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  token CHAR(42) NULL,
  amount VARCHAR(80) NULL,
  amount_units DECIMAL(65,0) NOT NULL DEFAULT 0,
  to_address CHAR(42) NULL,
  from_address CHAR(42) NULL,
  callback_url VARCHAR(2048) NULL,
  state VARCHAR(16) NOT NULL,
  send_key VARCHAR(128) NULL,
  status TINYINT NULL,
  error VARCHAR(32) NULL,
  submitted_body MEDIUMBLOB NULL,
  final_body MEDIUMBLOB NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_withdrawals_send (send_key),
  KEY ix_withdrawals_open (state, from_address, token)
) ENGINE=InnoDB;

