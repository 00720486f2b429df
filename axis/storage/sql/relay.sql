-- The relay road (issue 16): routes read inside intake's transaction, hops
-- in and out, and the transport events reported back.

-- name: relay_route_table
-- For statuses routed to a party this axis does not register.
SELECT peer_name, pattern FROM peer_routes

-- name: relay_insert_hop
-- In the transaction that stores the message a hop brought.
INSERT INTO relay_hops (peer_name, origin, origin_message_id, message_id, path)
VALUES ($1, $2, $3, $4, $5)

-- name: relay_apply_events
-- Transport events a peer reports ($1) for recipients this axis relayed to
-- it: $2 this axis's name, then one array per field. A message is named by
-- its origin's key: this axis's own message id when it is the origin, else
-- the message its hop brought in. A delivery only moves forward (relayed ->
-- delivered -> acked; dead from anything not settled), so a late or
-- repeated event changes nothing; the highest event of one batch wins.
WITH event AS (
    SELECT DISTINCT ON (e.origin, e.origin_message_id, e.recipient_id)
           e.*, CASE e.state WHEN 'delivered' THEN 2 ELSE 3 END AS rank
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
        AS e (origin, origin_message_id, recipient_id, state, happened_at, detail)
    ORDER BY e.origin, e.origin_message_id, e.recipient_id,
             CASE e.state WHEN 'delivered' THEN 2 ELSE 3 END DESC
), target AS (
    SELECT event.*,
           CASE WHEN event.origin = $2 THEN event.origin_message_id
                ELSE (SELECT h.message_id FROM relay_hops h
                      WHERE h.origin = event.origin
                        AND h.origin_message_id = event.origin_message_id
                      ORDER BY h.received_at LIMIT 1) END AS message_id
    FROM event
)
UPDATE deliveries d
SET transport_state = t.state,
    delivered_at = CASE WHEN t.state IN ('delivered', 'acked')
                        THEN coalesce(d.delivered_at, t.happened_at) ELSE d.delivered_at END,
    acked_at = CASE WHEN t.state = 'acked' THEN t.happened_at ELSE d.acked_at END,
    last_error = CASE WHEN t.state = 'dead' THEN t.detail ELSE d.last_error END,
    lease_owner = NULL,
    lease_expires_at = NULL
FROM target t
WHERE d.message_id = t.message_id AND d.recipient_id = t.recipient_id
  AND d.via = $1 AND d.mode = 'relay'
  AND CASE d.transport_state WHEN 'delivered' THEN 2 WHEN 'acked' THEN 3 WHEN 'dead' THEN 3
                             WHEN 'discarded' THEN 3 ELSE 1 END < t.rank
RETURNING d.id, d.message_id, d.recipient_id, d.transport_state, d.attempts, d.last_error

-- name: relay_events_claim
-- The transport events owed to peers that are due: $1 owner, $2 lease seconds, $3 limit.
WITH due AS (
    SELECT id FROM relay_events
    WHERE next_attempt_at <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())
    ORDER BY id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE relay_events e
SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
FROM due
WHERE e.id = due.id
RETURNING e.id, e.peer_name, e.origin, e.origin_message_id, e.recipient_id, e.state,
          e.happened_at, e.detail, e.attempts

-- name: relay_events_done
-- The peer took them.
DELETE FROM relay_events WHERE id = ANY ($1::bigint[]) AND lease_owner = $2

-- name: relay_events_retry
-- $1 ids, $2 owner, $3 seconds until the next attempt, $4 what went wrong.
UPDATE relay_events
SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $3),
    last_error = $4, lease_owner = NULL, lease_expires_at = NULL
WHERE id = ANY ($1::bigint[]) AND lease_owner = $2

-- name: relay_events_next_due_in
SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 FROM relay_events

-- name: relay_hop_body_sha
-- The bytes a hop key already brought: (calling peer, origin, origin message id).
SELECT m.sha256 FROM relay_hops h JOIN messages m ON m.id = h.message_id
WHERE h.peer_name = $1 AND h.origin = $2 AND h.origin_message_id = $3
