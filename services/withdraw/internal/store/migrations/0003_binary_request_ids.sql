-- request_id is compared byte for byte (contract section 2: W-1 and w-1 are two
-- requests), and so are the send keys made from it ("withdraw:" + request_id)
-- and the sender's own keys; the schema's default collation, utf8mb4_unicode_ci,
-- folds case. Binary collations only tell more values apart, so the primary and
-- unique keys cannot collide on the way, and MODIFY keeps them. The sender's
-- tables end as txsender.Schema now creates them (store_test.go checks
-- it). The statements are safe to repeat.
ALTER TABLE withdrawals
  MODIFY request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY send_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

ALTER TABLE tx_sends
  MODIFY send_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY ref VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
