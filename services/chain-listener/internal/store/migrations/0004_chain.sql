-- Every row belongs to one chain (the name requests use, as "ETH"): the
-- listener serves several at once, each with its own cursor, kept blocks,
-- watched addresses, transfers and rescans. Rows from before have chain ''
-- until the listener adopts them at start for the chain whose genesis the
-- stored cursor names. A transfer's id starts with its chain's name, so its
-- chain is known at once.
ALTER TABLE cursor_state
  DROP PRIMARY KEY,
  DROP COLUMN id,
  ADD COLUMN chain VARCHAR(16) NOT NULL DEFAULT '' FIRST,
  ADD PRIMARY KEY (chain);

ALTER TABLE blocks
  ADD COLUMN chain VARCHAR(16) NOT NULL DEFAULT '' FIRST,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (chain, number);

ALTER TABLE watched
  ADD COLUMN chain VARCHAR(16) NOT NULL DEFAULT '' AFTER id,
  DROP INDEX uq_watched_address,
  ADD UNIQUE KEY uq_watched_chain_address (chain, address),
  DROP INDEX ix_watched_backfill,
  ADD KEY ix_watched_backfill (chain, backfill_pending);

ALTER TABLE transfers
  ADD COLUMN chain VARCHAR(16) NOT NULL DEFAULT '' AFTER id,
  DROP INDEX ix_transfers_status_block,
  ADD KEY ix_transfers_status_block (chain, status, block_number),
  DROP INDEX ix_transfers_block,
  ADD KEY ix_transfers_block (chain, block_number);

UPDATE transfers SET chain = SUBSTRING_INDEX(id, ':', 1);

ALTER TABLE rescans
  ADD COLUMN chain VARCHAR(16) NOT NULL DEFAULT '' AFTER id,
  DROP INDEX ix_rescans_pending,
  ADD KEY ix_rescans_pending (chain, done, id);
