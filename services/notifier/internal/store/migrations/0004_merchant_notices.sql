-- Merchant notices: one per order return worth telling the merchant's chat.
-- notice_id is the return's AMQP message_id, so a return seen twice (a
-- redelivery, a repeated request answered again) is one notice. Sent and
-- dropped rows stay a while, their text emptied, to keep that promise.
CREATE TABLE merchant_notices (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  notice_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  kind VARCHAR(16) NOT NULL,
  text TEXT NOT NULL,
  state VARCHAR(8) NOT NULL DEFAULT 'pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  lease_until DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_merchant_notices (notice_id),
  KEY ix_merchant_notices_due (state, next_attempt_at),
  KEY ix_merchant_notices_age (state, created_at)
) ENGINE=InnoDB;

-- The checkout page of each order, from its created return, for the notices
-- of its later returns, which do not carry it.
CREATE TABLE merchant_links (
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  url VARCHAR(2048) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_merchant_links_age (created_at)
) ENGINE=InnoDB;

-- When the merchant's chat last got a message: one row, locked by the replica
-- that sends, so that all replicas share one rate limit.
CREATE TABLE merchant_chat (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_sent_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO merchant_chat (id, last_sent_at) VALUES (1, '1970-01-02');
