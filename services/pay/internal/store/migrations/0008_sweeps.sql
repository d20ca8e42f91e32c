-- Sweeps collect the tokens of deposit addresses into the collection wallet
-- (and what would lift it above its ceiling into the cold wallet). One row a
-- sweep of one token from one address; open_key (chain, address, token) is
-- set while the sweep is open, so that an address has at most one open sweep
-- of a token, whatever the replicas do. The sends are the sender's, keyed
-- "sweepfund:<id>:<round>", "sweep:<id>:collect" and "sweep:<id>:cold".
CREATE TABLE IF NOT EXISTS sweeps (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chain VARCHAR(32) NOT NULL,
  address CHAR(42) NOT NULL,
  token CHAR(42) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  amount_units DECIMAL(65,0) NOT NULL,
  collect_units DECIMAL(65,0) NOT NULL,
  cold_units DECIMAL(65,0) NOT NULL,
  state VARCHAR(16) NOT NULL,
  open_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  fund_rounds INT UNSIGNED NOT NULL DEFAULT 0,
  fund_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  collect_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  cold_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  funded_wei DECIMAL(65,0) NOT NULL DEFAULT 0,
  gas_wei DECIMAL(65,0) NOT NULL DEFAULT 0,
  error VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_sweeps_open (open_key),
  KEY ix_sweeps_state (chain, state, token)
) ENGINE=InnoDB;
