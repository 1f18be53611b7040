-- When a message of the key was last claimed (epoch ms; 0: never). Rows of keys nobody controlled and
-- nobody used for a long time are deleted (FlowKeys.purgeIdle): keys are often per user or tenant.
ALTER TABLE flow_keys ADD COLUMN last_used BIGINT NOT NULL DEFAULT 0;

-- The unfinished messages of a flow-control key, newest last: a key a node forgot while idle comes back
-- with its newest message's limits when it is read or controlled (Messages.newestWithFlowKey).
CREATE INDEX messages_flow ON messages (flow_key, seq) WHERE flow_key IS NOT NULL;

-- The state of a workflow DLQ entry's failure function (failure_callback's "state"), for the
-- failureFunctionState filter (spec 13.1): CALLBACK_INPROGRESS | CALLBACK_SUCCESS | CALLBACK_FAIL | ...
ALTER TABLE dlq ADD COLUMN failure_state TEXT;
UPDATE dlq SET failure_state = convert_from(failure_callback, 'UTF8')::jsonb->>'state' WHERE failure_callback IS NOT NULL;

-- The creation time of a workflow entry's run, for the workflowCreatedAt filter: the run's row may be
-- gone before the entry (retention.logs against retention.dlq).
ALTER TABLE dlq ADD COLUMN workflow_created_at BIGINT;
UPDATE dlq SET workflow_created_at = (SELECT created_at FROM workflow_runs r WHERE r.run_id = dlq.workflow_run_id)
  WHERE workflow_run_id IS NOT NULL;
