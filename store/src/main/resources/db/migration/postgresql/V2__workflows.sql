-- Upstash Workflow runs (spec 13). Herald keeps each run's step list, so the workflow SDK can fetch it
-- (GET /v2/workflows/runs/{id}); messages of a run are ordinary messages carrying the run in their spec.
CREATE TABLE workflow_runs (
  run_id        TEXT PRIMARY KEY,
  url           TEXT NOT NULL,            -- the workflow endpoint
  state         TEXT NOT NULL,            -- RUN_STARTED | RUN_SUCCESS | RUN_FAILED | RUN_CANCELED
  created_at    BIGINT NOT NULL,
  completed_at  BIGINT,
  trigger_id    TEXT NOT NULL,            -- the message that started the run: element 0 of the step list
  caller_ip     TEXT,
  labels        TEXT,                     -- ",a,b," like messages.labels
  dlq_id        TEXT,                     -- set when a step failed for good
  initial_body  BYTEA NOT NULL,
  response      BYTEA,                       -- the route function's result (DELETE ...?cancel=false)
  invoker       BYTEA,                       -- JSON: the run that invoked this one (context.invoke), told when it ends
  settings      BYTEA NOT NULL                -- JSON: the trigger's retries, retry delay, timeout, failure callback and
                                          -- flow control, which every step of the run follows (the SDK sends them once)
);
CREATE INDEX workflow_runs_created ON workflow_runs (created_at);
CREATE INDEX workflow_runs_completed ON workflow_runs (completed_at) WHERE completed_at IS NOT NULL;

-- Every message of a run, in publish order (id). Steps (call_type 'step', the trigger included) and
-- context.call results ('fromCallback') form the list the SDK fetches; the others are here so that
-- cancelling the run finds them.
CREATE TABLE workflow_messages (
  id BIGSERIAL PRIMARY KEY,
  run_id        TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  call_type     TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  body          BYTEA NOT NULL             -- the step JSON as published ('step', 'fromCallback'); empty otherwise
);
CREATE INDEX workflow_messages_run ON workflow_messages (run_id, id);

-- Runs waiting for an event (context.waitForEvent): notify publishes the step, the deadline a timeout step.
CREATE TABLE workflow_waiters (
  id BIGSERIAL PRIMARY KEY,
  event_id        TEXT NOT NULL,
  run_id          TEXT NOT NULL,
  url             TEXT NOT NULL,
  deadline        BIGINT NOT NULL,            -- epoch ms
  created_at      BIGINT NOT NULL,
  headers         BYTEA NOT NULL,            -- JSON {name: [values]}: the headers of the step published on notify
  timeout_url     TEXT,
  timeout_headers BYTEA,                     -- JSON {name: [values]}
  timeout_body    BYTEA,
  step            BYTEA NOT NULL             -- JSON: the waiting step, completed with out / waitTimeout
);
CREATE INDEX workflow_waiters_event ON workflow_waiters (event_id);
CREATE INDEX workflow_waiters_deadline ON workflow_waiters (deadline);

-- Events notified for one run before it waited for them (lookback, /v2/notify/{runId}/{eventId}).
CREATE TABLE workflow_events (
  run_id        TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  data          BYTEA NOT NULL,
  PRIMARY KEY (run_id, event_id)
);
CREATE INDEX workflow_events_created ON workflow_events (created_at);

-- Dead-lettered workflow messages can be listed by run (GET /v2/dlq?workflowRunId=..., source=workflow).
ALTER TABLE dlq ADD COLUMN workflow_run_id TEXT;
-- The run's failure function, called for this entry: JSON {state: CALLBACK_INPROGRESS | CALLBACK_SUCCESS |
-- CALLBACK_FAIL, responseStatus, responseBody, responseHeaders} (a failing failure call is not an entry of its own).
ALTER TABLE dlq ADD COLUMN failure_callback BYTEA;
CREATE INDEX dlq_workflow_run ON dlq (workflow_run_id) WHERE workflow_run_id IS NOT NULL;
CREATE INDEX dlq_message ON dlq (message_id);
