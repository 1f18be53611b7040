-- PostgreSQL twin of sqlite/V1__init.sql: same tables, columns and indexes; keep them equivalent.
-- Times are epoch milliseconds UTC in BIGINT (never timestamptz), so both dialects compare the same numbers.
-- Messages that are not finished yet. A row leaves this table when the message is delivered,
-- dead-lettered or cancelled; its history stays in events. Times are epoch milliseconds UTC.
-- One counter for log entry ids and message seqs (a message's seq is the id of its CREATED entry).
CREATE SEQUENCE log_ids;
CREATE TABLE messages (
  seq           BIGINT NOT NULL DEFAULT nextval('log_ids'), -- the id of its CREATED log entry (see events)
  id            TEXT PRIMARY KEY,
  state         TEXT NOT NULL,            -- 'P' pending (waits for due_at) | 'A' active (leased to an attempt)
  due_at        BIGINT NOT NULL,
  retried       INTEGER NOT NULL DEFAULT 0,
  crashes       INTEGER NOT NULL DEFAULT 0,
  lease_token   TEXT,
  lease_until   BIGINT,
  created_at    BIGINT NOT NULL,
  url           TEXT NOT NULL,
  topic_name    TEXT,
  queue_name    TEXT,
  schedule_id   TEXT,
  labels        TEXT,                     -- ",a,b," for LIKE '%,a,%' filters
  caller_ip     TEXT,
  flow_key      TEXT,
  flow_parallelism INTEGER NOT NULL DEFAULT 0,
  flow_rate     INTEGER NOT NULL DEFAULT 0,
  flow_period   BIGINT NOT NULL DEFAULT 0,   -- seconds
  holds_queue   TEXT,                     -- set on a (failure) callback of a queued message: it keeps that
  holds_for     TEXT,                     -- message's slot of this queue until it ends (spec 8.5); holds_for
                                          -- is that message's id. NULL on every other row
  spec          BYTEA NOT NULL,            -- binary (MessageCodec): everything else about the message
  body          BYTEA NOT NULL
);
CREATE INDEX messages_due ON messages (due_at) WHERE state = 'P';
-- The lease reaper looks for ACTIVE rows whose lease has run out.
CREATE INDEX messages_lease ON messages (lease_until) WHERE state = 'A';
-- FIFO order of a queue is id order (ids are monotonic).
CREATE INDEX messages_queue ON messages (queue_name, id) WHERE queue_name IS NOT NULL;
-- Queued messages holding a parallelism slot (started, not finished), and the callbacks that keep a
-- finished one's slot: counted when claiming in a cluster, loaded into the queue gate at start.
CREATE INDEX messages_queue_started ON messages (queue_name)
  WHERE queue_name IS NOT NULL AND (state = 'A' OR retried > 0 OR crashes > 0);
CREATE INDEX messages_queue_kept ON messages (holds_queue) WHERE holds_queue IS NOT NULL;

CREATE TABLE dedup (
  dedup_key   TEXT PRIMARY KEY,
  message_id  TEXT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX dedup_expiry ON dedup (expires_at);

-- The log (GET /v2/logs, /v2/events). id orders entries; cursors are ids.
CREATE TABLE events (
  id           BIGINT PRIMARY KEY DEFAULT nextval('log_ids'),
  time         BIGINT NOT NULL,
  message_id   TEXT NOT NULL,
  state        TEXT NOT NULL,
  url          TEXT,
  topic_name   TEXT,
  queue_name   TEXT,
  schedule_id  TEXT,
  labels       TEXT,
  flow_key     TEXT,
  caller_ip    TEXT,
  detail       BYTEA,                       -- JSON; NULL on CREATED: see CreatedDetail
  created      BYTEA                        -- the message's spec and body (MessageCodec.packed), carried
                                           -- by its final entry for its CREATED entry (CreatedDetail)
);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_time ON events (time);
-- The log lists pending messages' CREATED entries from their rows, newest first.
CREATE INDEX messages_seq ON messages (seq);

-- A message's CREATED entry is not written while the message row exists: the log lists it from the row
-- (id = seq, time = created_at), and the store writes it from the row, in the transaction that deletes the row.

CREATE TABLE dlq (
  dlq_id       TEXT PRIMARY KEY,
  message_id   TEXT NOT NULL,
  entered_at   BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  url          TEXT NOT NULL,
  topic_name   TEXT,
  queue_name   TEXT,
  schedule_id  TEXT,
  labels       TEXT,
  caller_ip    TEXT,
  flow_key     TEXT,
  response_status INTEGER NOT NULL,
  spec         BYTEA NOT NULL,              -- binary (MessageCodec)
  response     BYTEA NOT NULL,              -- JSON: headers, body (capped), error
  body         BYTEA NOT NULL
);
CREATE INDEX dlq_entered ON dlq (entered_at);

CREATE TABLE settings (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE TABLE url_groups (
  name        TEXT PRIMARY KEY,
  endpoints   BYTEA NOT NULL,               -- JSON [{"name":..., "url":...}]
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE queues (
  name        TEXT PRIMARY KEY,
  parallelism INTEGER NOT NULL,
  paused      INTEGER NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- Cron schedules. Firing a slot is a compare-and-set on next_fire_at in the same transaction that
-- inserts the produced messages, so a slot fires once even with several processes.
CREATE TABLE schedules (
  id            TEXT PRIMARY KEY,
  destination   TEXT NOT NULL,
  cron          TEXT NOT NULL,
  paused        INTEGER NOT NULL,
  next_fire_at  BIGINT NOT NULL,
  last_fire_at  BIGINT,
  last_states   BYTEA,                      -- JSON {messageId: state} of the last trigger
  last_error    TEXT,
  created_at    BIGINT NOT NULL,
  caller_ip     TEXT,
  headers       BYTEA NOT NULL,             -- JSON: the Upstash-* and forwarded headers as given
  body          BYTEA NOT NULL
);
CREATE INDEX schedules_due ON schedules (paused, next_fire_at);

-- Flow-control keys: the cluster-wide rate window (the parallelism count comes from ACTIVE messages),
-- and the key's control state (spec 11.4), which every node's gate follows and the claim checks.
CREATE TABLE flow_keys (
  flow_key      TEXT PRIMARY KEY,
  window_start  BIGINT NOT NULL,
  started       INTEGER NOT NULL,
  paused        INTEGER NOT NULL DEFAULT 0,
  pin_parallelism INTEGER,                  -- pinned limits; NULL: the messages' own apply
  pin_rate      INTEGER,
  pin_period    BIGINT,                     -- seconds; applies with pin_rate
  rate_resets   BIGINT NOT NULL DEFAULT 0,  -- counts pins and rate resets: each starts a fresh window everywhere
  version       BIGINT NOT NULL DEFAULT 0   -- counts control operations; > 0: the dispatcher re-reads the row
);
CREATE INDEX flow_keys_controlled ON flow_keys (version) WHERE version > 0;
CREATE INDEX messages_flow_active ON messages (flow_key) WHERE state = 'A' AND flow_key IS NOT NULL;
