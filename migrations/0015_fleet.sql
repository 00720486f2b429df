-- A fleet of nodes on one database (issue 13): the push limits and circuits
-- every node obeys, and the heartbeats that let a live node take over a dead
-- one's leases at once.

-- One row per push endpoint. Claims lock these rows (FOR UPDATE SKIP LOCKED)
-- before counting the endpoint's leased pushes, so two nodes never both see
-- the same free slots; the circuit breaker's state lives here so one node's
-- tripped circuit is every node's.
CREATE TABLE push_endpoints (
    endpoint_url text PRIMARY KEY,
    -- Consecutive failed pushes since the last success.
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- NULL: closed. Before this time: open (no pushes). From it: half-open
    -- (one probe at a time) until a success closes it or a failure reopens it.
    opened_until timestamptz
);

INSERT INTO push_endpoints (endpoint_url)
SELECT DISTINCT endpoint_url FROM agencies WHERE endpoint_url IS NOT NULL;

-- The registry writes agencies; the row its endpoint needs follows here so
-- no code path can register an endpoint that claims do not see.
CREATE FUNCTION push_endpoint_follows_agency() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.endpoint_url IS NOT NULL THEN
        INSERT INTO push_endpoints (endpoint_url) VALUES (NEW.endpoint_url)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER agencies_push_endpoint
AFTER INSERT OR UPDATE OF endpoint_url ON agencies
FOR EACH ROW EXECUTE FUNCTION push_endpoint_follows_agency();

-- Leased rows are the pushes in flight: few, whatever the backlog. Claims
-- count them per recipient; takeover finds a dead node's by owner.
CREATE INDEX deliveries_leased_idx ON deliveries (recipient_id) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_lease_owner_idx ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

-- One row per running axis process (a node), beating every second.
CREATE TABLE nodes (
    node_id text PRIMARY KEY,               -- also the lease owner of its pushes
    host text NOT NULL,
    pid integer NOT NULL,
    role text NOT NULL,                     -- what it runs: api, work or all
    started_at timestamptz NOT NULL DEFAULT now(),
    last_beat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at timestamptz,                 -- set by a clean stop
    -- Fleet-wide duties this node holds (e.g. the audit sealer); NULL: none.
    roles_held text[],
    CHECK (role IN ('api', 'work', 'all'))
);
CREATE INDEX nodes_last_beat_idx ON nodes (last_beat_at);
