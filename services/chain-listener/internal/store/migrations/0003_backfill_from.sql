-- from_block: the first block in which transfers into the address must be
-- found, as its owner registered it (NULL from owners of older versions).
-- backfill_next..backfill_to: the blocks still to look through, set when the
-- scanner takes the address up, so a restart resumes where it stopped.
ALTER TABLE watched
  ADD COLUMN from_block BIGINT UNSIGNED NULL AFTER owner,
  ADD COLUMN backfill_next BIGINT UNSIGNED NULL AFTER backfill_pending,
  ADD COLUMN backfill_to BIGINT UNSIGNED NULL AFTER backfill_next;
