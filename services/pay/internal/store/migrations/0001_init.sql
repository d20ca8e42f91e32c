-- deposit_addresses comes from pkg/depositaddr (0004).
CREATE TABLE payments (
  request_id VARCHAR(64) NOT NULL PRIMARY KEY,
  order_id VARCHAR(64) NULL,
  chain VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  token CHAR(42) NULL,
  amount VARCHAR(80) NULL,
  amount_units DECIMAL(65,0) NOT NULL DEFAULT 0,
  to_address CHAR(42) NULL,
  user_address CHAR(42) NULL,
  payer CHAR(42) NULL,
  paid_from VARCHAR(16) NULL,
  callback_url VARCHAR(2048) NULL,
  state VARCHAR(16) NOT NULL,
  fund_key VARCHAR(128) NULL,
  fund_rounds INT UNSIGNED NOT NULL DEFAULT 0,
  send_key VARCHAR(128) NULL,
  status TINYINT NULL,
  error VARCHAR(32) NULL,
  submitted_body MEDIUMBLOB NULL,
  final_body MEDIUMBLOB NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_payments_send (send_key),
  UNIQUE KEY uq_payments_fund (fund_key),
  KEY ix_payments_open (state, payer, token)
) ENGINE=InnoDB;

