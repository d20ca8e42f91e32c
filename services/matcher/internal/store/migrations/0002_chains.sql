-- Several chains. An order is payable on its chain, or, with chain '*', on
-- every chain of `chains` (comma-separated, in configuration order): the payer
-- picks. An amount-mode order holds one slot per chain it is payable on, with
-- its payable amount in that chain's base units: a payable amount is unique
-- among open orders per (chain, address, token), no longer per address.
-- Rows from before belong to their chain column.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS chains VARCHAR(255) NULL AFTER chain;

CREATE TABLE IF NOT EXISTS order_slots (
  order_pk BIGINT UNSIGNED NOT NULL,
  chain VARCHAR(32) NOT NULL,
  pay_address CHAR(42) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  pay_amount DECIMAL(65,0) NOT NULL,
  -- 1 while the order is open, NULL once closed (NULLs never collide).
  open_slot TINYINT NULL,
  PRIMARY KEY (order_pk, chain),
  UNIQUE KEY uq_order_slots_open (chain, pay_address, symbol, pay_amount, open_slot),
  KEY ix_order_slots_match (chain, pay_address, symbol, pay_amount, order_pk)
) ENGINE=InnoDB;

-- An order's slot was open exactly while the order was (safe to repeat once
-- open_slot is gone).
INSERT IGNORE INTO order_slots (order_pk, chain, pay_address, symbol, pay_amount, open_slot)
  SELECT id, chain, pay_address, symbol, pay_amount, IF(state = 'open', 1, NULL) FROM orders WHERE mode = 'amount';

ALTER TABLE orders DROP INDEX IF EXISTS uq_orders_slot;
ALTER TABLE orders DROP COLUMN IF EXISTS open_slot;

-- A payment is counted in the base units of the token on the chain it was
-- made on: a '*' order may be paid on chains whose tokens differ in decimals.
ALTER TABLE payments
  ADD COLUMN IF NOT EXISTS chain VARCHAR(32) NOT NULL DEFAULT '' AFTER order_pk,
  ADD COLUMN IF NOT EXISTS decimals INT NULL AFTER amount;

UPDATE payments p JOIN orders o ON o.id = p.order_pk
  SET p.chain = o.chain, p.decimals = o.decimals WHERE p.decimals IS NULL;

ALTER TABLE payments MODIFY decimals INT NOT NULL;
