-- When a message of the key was last claimed (epoch ms; 0: never). Rows of keys nobody controlled and
-- nobody used for a long time are deleted (FlowKeys.purgeIdle): keys are often per user or tenant.
ALTER TABLE flow_keys ADD COLUMN last_used BIGINT NOT NULL DEFAULT 0;
