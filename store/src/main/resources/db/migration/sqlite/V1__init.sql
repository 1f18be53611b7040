-- Messages that are not finished yet. A row leaves this table when the message is delivered,
-- dead-lettered or cancelled; its history stays in events. Times are epoch milliseconds UTC.
CREATE TABLE messages (
  id            TEXT PRIMARY KEY,
  state         TEXT NOT NULL,            -- PENDING | ACTIVE
  due_at        INTEGER NOT NULL,
  retried       INTEGER NOT NULL DEFAULT 0,
  crashes       INTEGER NOT NULL DEFAULT 0,
  lease_token   TEXT,
  lease_until   INTEGER,
  created_at    INTEGER NOT NULL,
  url           TEXT NOT NULL,
  topic_name    TEXT,
  queue_name    TEXT,
  schedule_id   TEXT,
  labels        TEXT,                     -- ",a,b," for LIKE '%,a,%' filters
  caller_ip     TEXT,
  flow_key      TEXT,
  spec          BLOB NOT NULL,            -- JSON: everything else about the message
  body          BLOB NOT NULL
);
CREATE INDEX messages_due ON messages (state, due_at);
CREATE INDEX messages_queue ON messages (queue_name, created_at) WHERE queue_name IS NOT NULL;

CREATE TABLE dedup (
  dedup_key   TEXT PRIMARY KEY,
  message_id  TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX dedup_expiry ON dedup (expires_at);

-- The log (GET /v2/logs, /v2/events). id orders entries; cursors are ids.
CREATE TABLE events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  time         INTEGER NOT NULL,
  message_id   TEXT NOT NULL,
  state        TEXT NOT NULL,
  url          TEXT,
  topic_name   TEXT,
  queue_name   TEXT,
  schedule_id  TEXT,
  labels       TEXT,
  flow_key     TEXT,
  caller_ip    TEXT,
  detail       BLOB                        -- JSON
);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_time ON events (time);

CREATE TABLE dlq (
  dlq_id       TEXT PRIMARY KEY,
  message_id   TEXT NOT NULL,
  entered_at   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  url          TEXT NOT NULL,
  topic_name   TEXT,
  queue_name   TEXT,
  schedule_id  TEXT,
  labels       TEXT,
  caller_ip    TEXT,
  flow_key     TEXT,
  response_status INTEGER NOT NULL,
  spec         BLOB NOT NULL,              -- message JSON
  response     BLOB NOT NULL,              -- JSON: headers, body (capped), error
  body         BLOB NOT NULL
);
CREATE INDEX dlq_entered ON dlq (entered_at);

CREATE TABLE settings (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
