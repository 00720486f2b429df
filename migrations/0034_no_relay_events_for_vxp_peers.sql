-- A VXP peer is polled, never called back: a document this axis took from
-- it was confirmed with updateStatus once committed, and VXP has no call for
-- transport events. So deliveries of messages that came in from a VXP peer
-- owe it no relay_events row (one would wait forever for a
-- POST /api/v1/relay/events the peer cannot take); receipts still travel
-- back as status messages, by sendEdoc.
CREATE OR REPLACE FUNCTION relay_event_follows_delivery() RETURNS trigger
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

-- Rows owed to VXP peers before this migration can never be taken.
DELETE FROM relay_events e USING peers p
WHERE p.name = e.peer_name AND p.protocol = 'vxp';
