-- A URL group's default headers (PATCH /v2/topics/{name}): JSON {"Name": ["value", ...]}, applied to
-- every publish to the group that does not carry the header itself. NULL = none.
ALTER TABLE url_groups ADD COLUMN headers BYTEA;
