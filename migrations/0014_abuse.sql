-- Issue #15: strangers cannot make the axis work for nothing.

-- Refusals at the door (no known agency) are counted, not written one by one:
-- a sample of the recent ones lands here in batches, in a fixed number of
-- slots that are overwritten in turn, so a flood cannot grow the table.
CREATE SEQUENCE door_refusal_slots;
CREATE TABLE door_refusals (
    slot integer PRIMARY KEY CHECK (slot >= 0 AND slot < 1000),
    refused_at timestamptz NOT NULL,
    code text NOT NULL,
    received_via text NOT NULL,
    source text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT ''
);

-- Requests per window and key (a source address or an agency), fleet-wide:
-- every node adds its own counts in one statement per second and reads back
-- the fleet's totals. Old windows are deleted by the same flush.
CREATE TABLE rate_windows (
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Busy ministries get more than the default allowance.
CREATE TABLE agency_allowances (
    organ_id text PRIMARY KEY REFERENCES agencies (organ_id),
    requests_per_minute integer NOT NULL CHECK (requests_per_minute > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Wrong passwords slow down the one (user name, source address) that sends
-- them, with a delay that grows; a stranger elsewhere cannot lock a clerk out.
CREATE TABLE sign_in_failures (
    username text NOT NULL,
    source text NOT NULL,
    failures integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (username, source)
);
CREATE INDEX sign_in_failures_last_idx ON sign_in_failures (last_failure_at);
