-- Several chains in one deployment (contract v1.1). A registration covers one
-- chain, or with chain '*' every configured chain serving its token: one row
-- per chain it covers, by whose (chain, address) a transfer is matched to it.
-- An address is unique per chain, no longer overall: a given address may be
-- watched on ETH under one request_id and on BSC under another. Rows written
-- before this table existed cover the chain in their chain column. The
-- statements are safe to repeat.
CREATE TABLE IF NOT EXISTS registration_chains (
  registration_id BIGINT UNSIGNED NOT NULL,
  chain VARCHAR(16) NOT NULL,
  address CHAR(42) NOT NULL,
  PRIMARY KEY (registration_id, chain),
  UNIQUE KEY uq_registration_chains_address (chain, address)
) ENGINE=InnoDB;

INSERT IGNORE INTO registration_chains (registration_id, chain, address)
  SELECT id, chain, address FROM registrations WHERE address IS NOT NULL;

ALTER TABLE registrations DROP INDEX IF EXISTS uq_registrations_address;

-- A deposit is on one chain, the first part of its id (<chain>:<tx_hash>:<log_index>).
ALTER TABLE deposits ADD COLUMN IF NOT EXISTS chain VARCHAR(16) NOT NULL DEFAULT '' AFTER deposit_id;

UPDATE deposits SET chain = SUBSTRING_INDEX(deposit_id, ':', 1) WHERE chain = '';
