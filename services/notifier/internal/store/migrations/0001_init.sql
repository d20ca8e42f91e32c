-- Requests that asked for webhooks: the first callback_url recorded for a
-- (flow, request_id) is the one used, as the first request is the one answered.
CREATE TABLE requests (
  flow VARCHAR(16) NOT NULL,
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  callback_url VARCHAR(2048) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (flow, request_id)
) ENGINE=InnoDB;

-- Returns whose request copy has not been seen (yet): kept for a while in case
-- it arrives later, then dropped (most are returns of requests without callback).
CREATE TABLE orphan_returns (
  webhook_id VARCHAR(64) NOT NULL PRIMARY KEY,
  flow VARCHAR(16) NOT NULL,
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  event VARCHAR(32) NOT NULL,
  status TINYINT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_orphans_request (flow, request_id),
  KEY ix_orphans_created (created_at)
) ENGINE=InnoDB;

-- One webhook per return; state pending, delivered, failed (retries exhausted
-- or destination refused) or gone (the endpoint answered 410).
CREATE TABLE deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  webhook_id VARCHAR(64) NOT NULL,
  flow VARCHAR(16) NOT NULL,
  request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  event VARCHAR(32) NOT NULL,
  status TINYINT NOT NULL,
  url VARCHAR(2048) NOT NULL,
  url_hash CHAR(64) NOT NULL,
  host VARCHAR(255) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  state VARCHAR(10) NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  round_attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  lease_owner VARCHAR(64) NULL,
  lease_until DATETIME(6) NULL,
  last_status INT NULL,
  last_error VARCHAR(1024) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  delivered_at DATETIME(6) NULL,
  UNIQUE KEY uq_deliveries_webhook (webhook_id),
  KEY ix_deliveries_due (state, next_attempt_at),
  KEY ix_deliveries_url (url_hash, state),
  KEY ix_deliveries_request (flow, request_id)
) ENGINE=InnoDB;

-- Every attempt, for operators.
CREATE TABLE attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id BIGINT UNSIGNED NOT NULL,
  attempt INT UNSIGNED NOT NULL,
  worker VARCHAR(64) NOT NULL,
  started_at DATETIME(6) NOT NULL,
  duration_ms INT UNSIGNED NOT NULL,
  status_code INT NULL,
  error VARCHAR(1024) NULL,
  KEY ix_attempts_delivery (delivery_id)
) ENGINE=InnoDB;

-- Endpoints that answered 410 Gone: no more attempts until an operator redelivers.
CREATE TABLE gone_endpoints (
  url_hash CHAR(64) NOT NULL PRIMARY KEY,
  url VARCHAR(2048) NOT NULL,
  gone_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;

-- Rate limiting of operator alerts per (kind, key).
CREATE TABLE alert_state (
  kind VARCHAR(64) NOT NULL,
  akey VARCHAR(191) NOT NULL,
  last_sent_at DATETIME(6) NOT NULL,
  suppressed INT UNSIGNED NOT NULL DEFAULT 0,
  last_message VARCHAR(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (kind, akey),
  KEY ix_alert_state_due (suppressed, last_sent_at)
) ENGINE=InnoDB;

-- Chat messages waiting to be sent.
CREATE TABLE telegram_queue (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  text TEXT NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  lease_until DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_telegram_due (next_attempt_at)
) ENGINE=InnoDB;
