-- Operators' assignments of unmatched transfers to orders: who, why and when.
-- The primary key makes a transfer assignable once; its payment row (payments)
-- is what the matching handler applies the transfer's later events to.
CREATE TABLE IF NOT EXISTS assignments (
  transfer_id VARCHAR(120) NOT NULL PRIMARY KEY,
  order_pk BIGINT UNSIGNED NOT NULL,
  assigned_by VARCHAR(64) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  -- 1 when the order was already paid and the operator forced the assignment.
  forced TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_assignments_order (order_pk)
) ENGINE=InnoDB;
