-- Push delivery: claims with leases, outcomes in batches, dead deliveries.

-- name: delivery_lock_endpoints
-- The first statement of a claim's transaction: the push endpoints no other
-- node is claiming for right now. Their free slots are counted by the next
-- statement, whose snapshot is taken after these locks are held, so it sees
-- every lease committed by the node that held them before; two nodes never
-- hand out the same free slot. An endpoint locked elsewhere is skipped: that
-- node is filling its slots this very moment.
SELECT endpoint_url FROM push_endpoints FOR UPDATE SKIP LOCKED

-- name: delivery_claim
-- $1 owner, $2 lease seconds, $3 batch size, $4 oldest-first (ignore priority),
-- $5 endpoints this transaction has locked (delivery_lock_endpoints), $6 the
-- per-endpoint limit. An endpoint's free slots are counted fleet-wide: its
-- limit (one probe when its circuit is half-open, none when open) less its
-- pushes leased and unexpired, whichever node holds them.
-- Every push agency whose endpoint has a free slot offers (and locks) its own
-- first due rows, read from its own ranges of deliveries_push_queue_idx:
-- urgent first, one ordered range; oldest first, one range per priority
-- (0..4), merged. So a claim reads a few rows per agency whatever the
-- backlog, one agency's backlog costs the others nothing, and no cached plan
-- can turn it into a scan of the queue. An endpoint's free slots cap what is
-- taken from all its agencies; offered rows not taken are unlocked at once.
WITH endpoint AS (
    SELECT p.endpoint_url,
           CASE WHEN p.opened_until IS NULL THEN $6::int
                WHEN p.opened_until > now() THEN 0
                ELSE 1 END
           - (SELECT count(*)::int
              FROM agencies held
              JOIN deliveries d ON d.recipient_id = held.organ_id AND d.lease_owner IS NOT NULL
              WHERE held.endpoint_url = p.endpoint_url AND d.lease_expires_at > now()) AS free
    FROM push_endpoints p
    WHERE p.endpoint_url = ANY ($5::text[])
), room AS (
    SELECT a.organ_id, a.endpoint_url, endpoint.free
    FROM endpoint
    JOIN agencies a ON a.endpoint_url = endpoint.endpoint_url
), offered AS (
    SELECT room.endpoint_url, room.free, o.id, o.priority, o.next_attempt_at
    FROM room
    CROSS JOIN LATERAL (
        SELECT d.id, d.priority, d.next_attempt_at
        FROM deliveries d
        WHERE NOT $4::boolean
          AND d.recipient_id = room.organ_id
          AND d.mode = 'push'
          AND d.transport_state IN ('queued', 'retrying')
          AND d.next_attempt_at <= now()
          AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
        ORDER BY -d.priority, d.next_attempt_at, d.id
        LIMIT room.free
        FOR UPDATE OF d SKIP LOCKED
    ) AS o
    WHERE room.free > 0
    UNION ALL
    SELECT room.endpoint_url, room.free, o.id, o.priority, o.next_attempt_at
    FROM room
    CROSS JOIN generate_series(0, 4) AS p (priority)
    CROSS JOIN LATERAL (
        SELECT d.id, d.priority, d.next_attempt_at
        FROM deliveries d
        WHERE $4::boolean
          AND d.recipient_id = room.organ_id
          AND -d.priority = -p.priority
          AND d.mode = 'push'
          AND d.transport_state IN ('queued', 'retrying')
          AND d.next_attempt_at <= now()
          AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
        ORDER BY d.next_attempt_at, d.id
        LIMIT room.free
        FOR UPDATE OF d SKIP LOCKED
    ) AS o
    WHERE room.free > 0
), ranked AS (
    SELECT offered.id, offered.free,
           CASE WHEN $4::boolean THEN 0 ELSE offered.priority END AS rank,
           offered.next_attempt_at,
           row_number() OVER (PARTITION BY offered.endpoint_url
                              ORDER BY CASE WHEN $4::boolean THEN 0 ELSE offered.priority END DESC,
                                       offered.next_attempt_at, offered.id) AS place
    FROM offered
), picked AS (
    SELECT ranked.id
    FROM ranked
    WHERE ranked.place <= ranked.free
    ORDER BY ranked.rank DESC, ranked.next_attempt_at, ranked.id
    LIMIT $3
), leased AS (
    UPDATE deliveries d
    SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
    FROM messages m, agencies a
    WHERE d.id = ANY (ARRAY(SELECT picked.id FROM picked))
      AND m.id = d.message_id AND a.organ_id = d.recipient_id
    RETURNING d.id, d.message_id, d.recipient_id, d.priority, d.attempts, d.created_at,
              d.next_attempt_at, m.kind, m.sender_id, m.sha256, a.endpoint_url, m.size,
              -- The first piece: the whole body when small; the pusher reads the rest.
              coalesce((SELECT b.content FROM message_bodies b
                        WHERE b.message_id = m.id AND b.part = 0), m.body) AS first,
              m.signature_algorithm = 'axis-seal' AS sealed
)
-- In claim order, so the worker starts the most urgent push first: pushes
-- started together race to the endpoint.
SELECT * FROM leased
ORDER BY CASE WHEN $4::boolean THEN 0 ELSE leased.priority END DESC, leased.next_attempt_at,
         leased.id

-- name: delivery_record_outcomes
-- One row per finished push: $2 ids, $3 outcome ('delivered', 'retry', 'dead'),
-- $4 seconds until the next attempt, $5 last error, $6 budget seconds.
-- A retry that would land past the budget is made at the deadline; a failure
-- at or after the deadline is dead. Only rows still leased by $1 change.
WITH outcome AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::float8[], $5::text[])
        AS o (id, result, delay, error)
)
UPDATE deliveries d
SET transport_state = CASE
        WHEN o.result = 'delivered' THEN 'delivered'
        WHEN o.result = 'dead' THEN 'dead'
        WHEN now() >= coalesce(d.budget_from, d.created_at) + make_interval(secs => $6) THEN 'dead'
        ELSE 'retrying' END,
    attempts = d.attempts + 1,
    delivered_at = CASE WHEN o.result = 'delivered' THEN now() ELSE d.delivered_at END,
    next_attempt_at = CASE WHEN o.result = 'retry'
        THEN least(now() + make_interval(secs => o.delay),
                   coalesce(d.budget_from, d.created_at) + make_interval(secs => $6))
        ELSE d.next_attempt_at END,
    last_error = CASE WHEN o.result = 'delivered' THEN d.last_error ELSE o.error END,
    lease_owner = NULL,
    lease_expires_at = NULL
FROM outcome o
WHERE d.id = o.id AND d.lease_owner = $1
RETURNING d.id, d.message_id, d.recipient_id, d.transport_state, d.attempts, d.last_error,
          extract(epoch FROM d.delivered_at - d.created_at)::float8 AS latency

-- name: delivery_release_leases
-- Gives back claims this worker will not finish (shutdown).
UPDATE deliveries
SET lease_owner = NULL, lease_expires_at = NULL
WHERE lease_owner = $1 AND transport_state IN ('queued', 'retrying')

-- name: delivery_postpone_endpoint
-- While an endpoint's circuit is open its due work waits, unclaimed and not
-- failed, until the half-open probe may run.
UPDATE deliveries d
SET next_attempt_at = now() + make_interval(secs => $2)
FROM agencies a
WHERE a.organ_id = d.recipient_id AND a.endpoint_url = $1
  AND d.mode = 'push' AND d.transport_state IN ('queued', 'retrying')
  AND d.next_attempt_at < now() + make_interval(secs => $2)
  AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())

-- name: delivery_next_due_in
-- Seconds until the earliest push attempt that is not due yet, or NULL.
SELECT extract(epoch FROM min(next_attempt_at) - now())::float8
FROM deliveries
WHERE mode = 'push' AND transport_state IN ('queued', 'retrying')

-- name: delivery_list
-- $1 state (NULL for all), $2 after this id (cursor), $3 limit.
SELECT d.id, d.message_id, d.recipient_id, d.kind, d.mode, d.transport_state, d.priority,
       d.attempts, d.last_error, d.created_at, d.next_attempt_at, d.delivered_at,
       a.endpoint_url
FROM deliveries d
JOIN agencies a ON a.organ_id = d.recipient_id
WHERE ($1::text IS NULL OR d.transport_state = $1) AND d.id > $2
ORDER BY d.id
LIMIT $3

-- name: delivery_lock
-- has_body: false once retention purged the message's body (nothing to send).
SELECT d.id, d.message_id, d.recipient_id, d.transport_state, d.attempts,
       EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = d.message_id AND b.part = 0)
       OR EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id AND m.body IS NOT NULL)
       AS has_body
FROM deliveries d WHERE d.id = $1 FOR UPDATE OF d

-- name: delivery_requeue
-- An operator's retry: attempts are kept; the retry budget starts again now.
UPDATE deliveries
SET transport_state = 'queued', next_attempt_at = now(), budget_from = now(),
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = $1

-- name: delivery_discard
UPDATE deliveries
SET transport_state = 'discarded', lease_owner = NULL, lease_expires_at = NULL
WHERE id = $1

-- name: delivery_lock_circuits
-- The circuits a batch of outcomes is about to judge, locked until it commits.
SELECT endpoint_url, failures,
       CASE WHEN opened_until IS NULL THEN 'closed'
            WHEN opened_until > now() THEN 'open'
            ELSE 'half_open' END AS state
FROM push_endpoints
WHERE endpoint_url = ANY ($1::text[])
ORDER BY endpoint_url
FOR UPDATE

-- name: delivery_judge_circuits
-- $1 endpoints, $2 their consecutive failures now, $3 'open' (for $4 seconds
-- from now), 'close' or 'keep'. Returns each circuit's state afterwards.
UPDATE push_endpoints p
SET failures = v.failures,
    opened_until = CASE v.change
        WHEN 'open' THEN now() + make_interval(secs => $4)
        WHEN 'close' THEN NULL
        ELSE p.opened_until END
FROM unnest($1::text[], $2::int[], $3::text[]) AS v (endpoint_url, failures, change)
WHERE p.endpoint_url = v.endpoint_url
RETURNING p.endpoint_url,
          CASE WHEN p.opened_until IS NULL THEN 'closed'
               WHEN p.opened_until > now() THEN 'open'
               ELSE 'half_open' END AS state,
          coalesce(greatest(0, extract(epoch FROM p.opened_until - now())), 0)::float8
              AS reopens_in
