-- Intake records what it knows about a refusal: its stable code and its kind.
-- The HTTP status belongs to the surface that answered, and nothing read it,
-- so it is no longer required; old rows keep theirs and get a kind from it.
ALTER TABLE refusals ADD COLUMN kind text;
UPDATE refusals SET kind = CASE
    WHEN http_status = 400 THEN 'malformed'
    WHEN http_status = 401 THEN 'unauthenticated'
    WHEN http_status = 403 THEN 'forbidden'
    WHEN http_status = 409 THEN 'conflict'
    WHEN http_status = 413 THEN 'too_large'
    WHEN code = 'status.not_allowed' THEN 'not_allowed'
    ELSE 'invalid'
END;
ALTER TABLE refusals ALTER COLUMN kind SET NOT NULL;
ALTER TABLE refusals ADD CONSTRAINT refusals_kind_check CHECK (kind IN (
    'malformed', 'invalid', 'not_allowed', 'forbidden', 'conflict', 'too_large',
    'unauthenticated'
));
ALTER TABLE refusals ALTER COLUMN http_status DROP NOT NULL;
