-- Webhooks come from the services that answer the requests, one sealed
-- Webhook message per return (pkg/events): the notifier no longer matches
-- copies of requests and returns, so the requests that asked for webhooks and
-- the returns that waited for their request's copy are gone.
DROP TABLE IF EXISTS orphan_returns;
DROP TABLE IF EXISTS requests;

-- webhook_id is the return's AMQP message_id (at most 255 bytes, an AMQP
-- short string), compared byte for byte as request_id is. A return has one
-- delivery per flow and URL: a redelivered Webhook message creates no other.
ALTER TABLE deliveries
  MODIFY webhook_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  DROP INDEX IF EXISTS uq_deliveries_webhook,
  ADD UNIQUE KEY IF NOT EXISTS uq_deliveries_return (flow, webhook_id, url_hash);
