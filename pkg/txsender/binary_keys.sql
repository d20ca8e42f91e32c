-- Since 0002_txsender.sql was released, send_key and ref hold request ids,
-- which are compared byte for byte: each service that sends made them binary
-- in its own migration 0003, next to its own request ids.
ALTER TABLE tx_sends
  MODIFY send_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY ref VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
