-- One row naming this axis installation; tests and operators use it to tell
-- databases apart, and later migrations hang instance-wide facts on it.
CREATE TABLE axis_instance (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    instance_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO axis_instance DEFAULT VALUES;
