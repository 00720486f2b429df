-- The relay road (issue 16): relay deliveries wait in a queue per peer, and
-- the transport events of relayed-in messages wait to be reported back.

-- A claim reads a few due relay deliveries per peer, as push claims read a
-- few per agency (deliveries_push_queue_idx).
CREATE INDEX deliveries_relay_queue_idx
    ON deliveries (via, (-priority), next_attempt_at, id)
    WHERE mode = 'relay' AND transport_state IN ('queued', 'retrying');

-- Transport events owed to the peer a message came from: written by the
-- trigger below in the very transaction that changed the delivery, whatever
-- road changed it (push, pull, ack, or an event from further on), so none is
-- lost to a crash; sent in batches and deleted once the peer took them.
CREATE TABLE relay_events (
    id bigserial PRIMARY KEY,
    peer_name text NOT NULL REFERENCES peers (name) ON DELETE CASCADE,
    origin text NOT NULL,
    origin_message_id text NOT NULL,
    recipient_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('delivered', 'acked', 'dead')),
    happened_at timestamptz NOT NULL DEFAULT now(),
    -- For 'dead': the far end's code and detail, as its last_error says them.
    detail text,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text
);
CREATE INDEX relay_events_due_idx ON relay_events (peer_name, next_attempt_at, id);

-- A VXP peer is polled, never called back: a document this axis took from
-- it was confirmed with updateStatus once committed, and VXP has no call for
-- transport events. So deliveries of messages that came in from a VXP peer
-- owe it no relay_events row (one would wait forever for a
-- POST /api/v1/relay/events the peer cannot take); receipts still travel
-- back as status messages, by sendEdoc.
CREATE FUNCTION relay_event_follows_delivery() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO relay_events (peer_name, origin, origin_message_id, recipient_id, state, detail)
    SELECT h.peer_name, h.origin, h.origin_message_id, NEW.recipient_id, NEW.transport_state,
           CASE WHEN NEW.transport_state = 'dead' THEN NEW.last_error END
    FROM relay_hops h
    JOIN peers p ON p.name = h.peer_name
    WHERE h.message_id = NEW.message_id AND p.protocol <> 'vxp';
    IF FOUND THEN
        PERFORM pg_notify('axis_relay_events', '');
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER relay_event_follows_delivery
    AFTER UPDATE OF transport_state ON deliveries
    FOR EACH ROW
    WHEN (NEW.transport_state IN ('delivered', 'acked', 'dead')
          AND OLD.transport_state IS DISTINCT FROM NEW.transport_state)
    EXECUTE FUNCTION relay_event_follows_delivery();
