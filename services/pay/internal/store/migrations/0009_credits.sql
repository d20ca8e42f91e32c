-- Credits are the deposits the chain-listener reported into addresses of the
-- suite (its sealed transfer events, a copy of topup's and the matcher's):
-- what the reconciliation counts in. One row a transfer, at its latest stage
-- (confirmed, or removed after a reorganisation), keyed as the listener
-- keys it; sequence orders its events, so a stale redelivery changes nothing.
CREATE TABLE IF NOT EXISTS credits (
  chain VARCHAR(32) NOT NULL,
  tx_hash CHAR(66) NOT NULL,
  log_index INT UNSIGNED NOT NULL,
  address CHAR(42) NOT NULL,
  token CHAR(42) NOT NULL,
  amount_units DECIMAL(65,0) NOT NULL,
  block_number BIGINT UNSIGNED NOT NULL,
  kind VARCHAR(16) NOT NULL,
  sequence BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (chain, tx_hash, log_index),
  KEY ix_credits_address (chain, address, token, block_number)
) ENGINE=InnoDB;
