-- request_id is compared byte for byte (contract section 2: W-1 and w-1 are two
-- requests), and so are the deposit ids; the schema's default collation,
-- utf8mb4_unicode_ci, folds case. Binary collations only tell more values apart,
-- so the unique keys cannot collide on the way, and MODIFY keeps them. The
-- statements are safe to repeat.
ALTER TABLE registrations
  MODIFY request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

ALTER TABLE deposits
  MODIFY deposit_id VARCHAR(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY request_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
