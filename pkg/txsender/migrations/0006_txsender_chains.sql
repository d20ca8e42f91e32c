-- One schema may hold the sends of several chains, from the same address on
-- each: the nonces, the halts and the chain state are kept per chain id, and a
-- nonce is unique per chain and address. The rows written before belong to the
-- chain tx_chain recorded (or, before tx_chain had a row, to the chain of the
-- address's sends, which every nonce and halt row has). The statements are
-- safe to repeat.
ALTER TABLE tx_nonces ADD COLUMN IF NOT EXISTS chain_id BIGINT UNSIGNED NOT NULL DEFAULT 0 FIRST;

UPDATE tx_nonces n SET n.chain_id = COALESCE(
  (SELECT MAX(c.chain_id) FROM tx_chain c),
  (SELECT MAX(s.chain_id) FROM tx_sends s WHERE s.from_address = n.address), 0)
WHERE n.chain_id = 0;

ALTER TABLE tx_nonces ALTER COLUMN chain_id DROP DEFAULT, DROP PRIMARY KEY, ADD PRIMARY KEY (chain_id, address);

ALTER TABLE tx_halts ADD COLUMN IF NOT EXISTS chain_id BIGINT UNSIGNED NOT NULL DEFAULT 0 FIRST;

UPDATE tx_halts h SET h.chain_id = COALESCE(
  (SELECT MAX(c.chain_id) FROM tx_chain c),
  (SELECT MAX(s.chain_id) FROM tx_sends s WHERE s.from_address = h.address), 0)
WHERE h.chain_id = 0;

ALTER TABLE tx_halts ALTER COLUMN chain_id DROP DEFAULT, DROP PRIMARY KEY, ADD PRIMARY KEY (chain_id, address);

ALTER TABLE tx_sends DROP INDEX IF EXISTS uq_tx_sends_nonce, ADD UNIQUE KEY uq_tx_sends_nonce (chain_id, from_address, nonce);

ALTER TABLE tx_chain DROP PRIMARY KEY, DROP COLUMN IF EXISTS id, ADD PRIMARY KEY (chain_id);
