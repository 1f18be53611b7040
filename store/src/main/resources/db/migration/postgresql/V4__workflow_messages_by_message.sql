-- The run a message belongs to, for the workflow log's messageId filter (GET /v2/workflows/logs).
CREATE INDEX workflow_messages_message ON workflow_messages (message_id);
