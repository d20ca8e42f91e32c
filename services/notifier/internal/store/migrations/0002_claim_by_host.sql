-- Deliveries are claimed host by host: the due rows of one host are a range of
-- this index, and the hosts with due rows are found with one probe each.
ALTER TABLE deliveries ADD INDEX IF NOT EXISTS ix_deliveries_host_due (state, host, next_attempt_at);
ALTER TABLE deliveries DROP INDEX IF EXISTS ix_deliveries_due;
