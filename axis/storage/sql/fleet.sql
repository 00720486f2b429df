-- The fleet: one row per node (a running axis process), beating every second.

-- name: fleet_join
-- $1 node id, $2 host, $3 pid, $4 role. Joining again (a second part of the
-- same process starting) only updates the role.
INSERT INTO nodes (node_id, host, pid, role)
VALUES ($1, $2, $3, $4)
ON CONFLICT (node_id) DO UPDATE
SET role = EXCLUDED.role, last_beat_at = now(), stopped_at = NULL

-- name: fleet_beat
-- Seconds since this node's previous beat (NULL if its row is gone), so a
-- node that was too slow to beat knows the fleet presumed it dead.
WITH previous AS (SELECT last_beat_at FROM nodes WHERE node_id = $1)
UPDATE nodes n
SET last_beat_at = now()
FROM previous
WHERE n.node_id = $1
RETURNING extract(epoch FROM now() - previous.last_beat_at)::float8 AS silent_for

-- name: fleet_take_over
-- Gives back the leases of every node silent for longer than $1 seconds
-- (dead, or presumed dead), so any node claims that work at once instead of
-- waiting out the lease; a node that stopped cleanly gave its own back.
-- Nodes silent for over a day were dealt with long ago.
WITH released AS (
    UPDATE deliveries d
    SET lease_owner = NULL, lease_expires_at = NULL
    FROM nodes n
    WHERE n.last_beat_at < now() - make_interval(secs => $1)
      AND n.last_beat_at > now() - interval '1 day'
      AND d.lease_owner = n.node_id
      AND d.transport_state IN ('queued', 'retrying')
    RETURNING d.id, n.node_id
)
SELECT released.node_id, count(*)::int AS leases
FROM released
GROUP BY released.node_id

-- name: fleet_wake_workers
-- Work just given back: every node's push worker claims at once.
SELECT pg_notify($1, '')

-- name: fleet_leave
UPDATE nodes SET stopped_at = now(), last_beat_at = now() WHERE node_id = $1

-- name: fleet_forget
-- Nodes not seen for a week leave the list.
DELETE FROM nodes WHERE last_beat_at < now() - interval '7 days'

-- name: fleet_nodes
-- The nodes seen in the last $2 seconds, live first, with what each holds:
-- its pushes in flight (leases), the endpoints they go to, and the fleet-wide
-- duties: the audit sealer is the node that sealed last, within the silence
-- after which a node counts as dead ($1).
SELECT n.node_id, n.host, n.pid, n.role, n.started_at, n.last_beat_at, n.stopped_at,
       nullif(
           coalesce(n.roles_held, '{}'::text[])
           || CASE WHEN s.holder = n.node_id AND s.sealed_at > now() - make_interval(secs => $1)
                   THEN ARRAY['audit-sealer'] END,
           '{}'::text[]
       ) AS roles_held,
       CASE WHEN n.stopped_at IS NOT NULL THEN 'stopped'
            WHEN n.last_beat_at < now() - make_interval(secs => $1) THEN 'dead'
            ELSE 'live' END AS status,
       extract(epoch FROM now() - n.last_beat_at)::float8 AS seen_seconds_ago,
       coalesce(held.leases, 0) AS leases,
       coalesce(held.endpoints, 0) AS endpoints
FROM nodes n
LEFT JOIN LATERAL (
    SELECT count(*)::int AS leases, count(DISTINCT a.endpoint_url)::int AS endpoints
    FROM deliveries d
    JOIN agencies a ON a.organ_id = d.recipient_id
    WHERE d.lease_owner = n.node_id AND d.lease_expires_at > now()
) AS held ON true
LEFT JOIN audit_sealer s ON true
WHERE n.last_beat_at > now() - make_interval(secs => $2)
ORDER BY (n.stopped_at IS NULL AND n.last_beat_at >= now() - make_interval(secs => $1)) DESC,
         n.last_beat_at DESC, n.node_id

-- name: fleet_try_lease
-- A fleet lease (axis.fleet.leases): session-scoped, held while this
-- connection lives, released when it drops.
SELECT pg_try_advisory_lock($1)

-- name: fleet_release_lease
SELECT pg_advisory_unlock($1)

-- name: fleet_keepalives
-- A lease holder's node that vanishes without closing its socket is noticed
-- by the server within about 5 + 3 x 2 seconds, which frees the lease.
SELECT set_config('tcp_keepalives_idle', '5', false),
       set_config('tcp_keepalives_interval', '2', false),
       set_config('tcp_keepalives_count', '3', false)

-- name: fleet_reset_keepalives
SELECT set_config('tcp_keepalives_idle', '0', false),
       set_config('tcp_keepalives_interval', '0', false),
       set_config('tcp_keepalives_count', '0', false)
