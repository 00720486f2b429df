-- The peer registry (issue 16): what the code needs beyond 0019.

-- Every change to peers, their routes or their synced directories moves
-- this counter in the same transaction; each process rereads its snapshot
-- of peers and routes when it moves (as the trust cache does with
-- trust_generation), so a new peer or route takes effect fleet-wide within
-- a second, without a notice to miss.
CREATE SEQUENCE peer_generation;

-- The push road's circuit breaker and per-endpoint limits key on the
-- endpoint URL; a peer is reached at its url, so its row follows here as an
-- agency's does (push_endpoint_follows_agency), whatever code path writes it.
CREATE FUNCTION push_endpoint_follows_peer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_endpoints (endpoint_url) VALUES (NEW.url) ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;

CREATE TRIGGER peers_push_endpoint
AFTER INSERT OR UPDATE OF url ON peers
FOR EACH ROW EXECUTE FUNCTION push_endpoint_follows_peer();

INSERT INTO push_endpoints (endpoint_url) SELECT url FROM peers ON CONFLICT DO NOTHING;

-- A removed peer's history stays: deliveries and incoming hops keep its name
-- as text (as deliveries keep a recipient not in the registry), so removing
-- a peer that once relayed does not need its history erased. Removal is
-- refused while deliveries through it are unfinished (axis/registry/peers.py).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_via_fkey;
ALTER TABLE relay_hops DROP CONSTRAINT relay_hops_peer_name_fkey;

-- The dashboard and /metrics count each peer's unfinished relay deliveries.
CREATE INDEX deliveries_via_open_idx ON deliveries (via, transport_state)
    WHERE via IS NOT NULL AND transport_state IN ('queued', 'retrying');
