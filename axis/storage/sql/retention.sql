-- name: retention_hold_target
SELECT id, kind FROM messages WHERE id = $1

-- name: retention_place_hold
-- One active hold per document: placing it again changes nothing.
INSERT INTO legal_holds (message_id, reason, placed_by, placed_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (message_id) WHERE lifted_at IS NULL DO NOTHING
RETURNING id

-- name: retention_lift_hold
UPDATE legal_holds SET lifted_by = $2, lifted_at = $3, lift_reason = $4
WHERE message_id = $1 AND lifted_at IS NULL
RETURNING id

-- name: retention_active_holds
SELECT h.message_id, h.reason, h.placed_by, h.placed_at, m.sender_id, m.document_id
FROM legal_holds h JOIN messages m ON m.id = h.message_id
WHERE h.lifted_at IS NULL
ORDER BY h.placed_at, h.id

-- name: retention_held_messages
-- Everything the active holds cover: each held document, the documents
-- acting on it or that it acts on (revocations, updates, replacements, in
-- either direction, transitively) and the statuses answering any of them.
-- Worked out when asked, so a revocation or status that arrives after the
-- hold was placed is held too.
WITH RECURSIVE covered (id) AS (
    SELECT message_id FROM legal_holds WHERE lifted_at IS NULL
    UNION
    SELECT linked.id
    FROM covered c
    CROSS JOIN LATERAL (
        SELECT a.acting_message_id FROM document_actions a WHERE a.target_message_id = c.id
        UNION ALL
        SELECT a.target_message_id FROM document_actions a WHERE a.acting_message_id = c.id
        UNION ALL
        SELECT m.acts_on_message_id FROM messages m
        WHERE m.id = c.id AND m.acts_on_message_id IS NOT NULL
        UNION ALL
        SELECT m.id FROM messages m WHERE m.answers_message_id = c.id
    ) AS linked (id)
)
SELECT id FROM covered

-- name: retention_month_manifest
-- One manifest row per message of the month, with its deliveries and the
-- statuses it received, and its body from wherever it is stored (the pieces
-- of message_bodies in order, else the legacy column; NULL once purged).
SELECT m.id, m.kind, m.sender_id, m.document_id, m.sha256, m.size, m.accepted_at,
       m.answers_message_id, m.acts_on_message_id, m.business_type, m.status_code,
       coalesce((SELECT string_agg(b.content, ''::bytea ORDER BY b.part)
                 FROM message_bodies b WHERE b.message_id = m.id), m.body) AS body,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                     'organ_id', d.recipient_id, 'mode', d.mode,
                     'transport_state', d.transport_state,
                     'delivered_at', d.delivered_at, 'acked_at', d.acked_at,
                     'ack_result', d.ack_result) ORDER BY d.id)
                 FROM deliveries d WHERE d.message_id = m.id), '[]'::jsonb) AS recipients,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                     'status_message_id', e.status_message_id, 'from', e.from_id,
                     'code', e.status_code, 'status_at', e.status_at,
                     'received_at', e.received_at) ORDER BY e.id)
                 FROM status_events e WHERE e.document_message_id = m.id),
                '[]'::jsonb) AS statuses
FROM messages m
WHERE m.id >= $1 AND m.id < $2
ORDER BY m.id

-- name: retention_chain_span
-- The positions of the sealed audit entries written in the month.
SELECT min(s.position) AS first, max(s.position) AS last
FROM audit_seals s JOIN audit_log e ON e.id = s.entry_id
WHERE e.at >= $1 AND e.at < $2

-- name: retention_chain_segment
SELECT s.position, s.previous_hash, s.hash,
       e.id, e.xact IS NULL AS legacy, e.at, e.actor, e.action, e.subject, e.detail
FROM audit_seals s JOIN audit_log e ON e.id = s.entry_id
WHERE s.position BETWEEN $1 AND $2
ORDER BY s.position

-- name: retention_seal_at
SELECT position, previous_hash, hash FROM audit_seals WHERE position = $1

-- name: retention_record_bundle
INSERT INTO archive_bundles (month, file_name, manifest_sha256, messages, body_bytes,
                             exported_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (manifest_sha256) DO UPDATE SET file_name = EXCLUDED.file_name
RETURNING id

-- name: retention_bundle_by_manifest
SELECT id, month, file_name, exported_at FROM archive_bundles WHERE manifest_sha256 = $1

-- name: retention_purge_candidates
-- The month's messages that still hold a body, whether every delivery has
-- ended, and since when (acked, or the last attempt of a dead or discarded
-- one: the later of the times on record, so a body is never kept too little).
SELECT m.id, m.kind, m.sender_id, m.sha256, m.accepted_at,
       coalesce(bool_and(d.transport_state IN ('acked', 'dead', 'discarded')), true) AS settled,
       greatest(m.accepted_at,
                max(greatest(d.acked_at, d.delivered_at, d.next_attempt_at, d.created_at)))
           AS settled_at
FROM messages m
LEFT JOIN deliveries d ON d.message_id = m.id
WHERE m.id >= $1 AND m.id < $2
  AND (m.body IS NOT NULL
       OR EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = m.id))
GROUP BY m.id

-- name: retention_start_purge
INSERT INTO retention_purges (month, bundle_id, purged_at, bodies, body_bytes)
VALUES ($1, $2, $3, 0, 0)
RETURNING id

-- name: retention_finish_purge
UPDATE retention_purges
SET bodies = $2, body_bytes = $3, kept_held = $4, kept_unsettled = $5
WHERE id = $1

-- name: retention_lock_holds
-- Placing a hold waits while a purge batch decides and removes: no hold can
-- slip in between the check and the removal.
LOCK TABLE legal_holds IN SHARE MODE

-- name: retention_remove_bodies
-- The bodies of these messages, from both places a body may be stored.
WITH pieces AS (
    DELETE FROM message_bodies WHERE message_id = ANY ($1::text[])
    RETURNING message_id, octet_length(content) AS size
), legacy AS (
    UPDATE messages m SET body = NULL
    FROM (SELECT id, octet_length(body) AS size FROM messages
          WHERE id = ANY ($1::text[]) AND body IS NOT NULL FOR UPDATE) AS old
    WHERE m.id = old.id
    RETURNING old.size
)
SELECT coalesce((SELECT sum(size) FROM pieces), 0)::bigint
       + coalesce((SELECT sum(size) FROM legacy), 0)::bigint AS bytes

-- name: retention_month_partition
-- The month's own partition of message_bodies, if it has one.
SELECT c.relname
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'message_bodies'::regclass AND c.relname = $1

-- name: retention_body_partitions
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'message_bodies'::regclass
ORDER BY c.relname

-- name: retention_legacy_bound
-- The bound's definition (it names the first partitioned id), or NULL.
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'message_bodies_before_partitions'::regclass
  AND conname = 'message_bodies_before_partitions_bound'

-- name: retention_bound_legacy_bodies
SELECT retention_bound_legacy_bodies($1)

-- name: retention_validate_legacy_bound
-- Scans the legacy table under SHARE UPDATE EXCLUSIVE: writers carry on.
ALTER TABLE message_bodies_before_partitions
    VALIDATE CONSTRAINT message_bodies_before_partitions_bound

-- name: retention_create_body_partition
SELECT retention_create_body_partition($1, $2, $3)

-- name: retention_drop_body_partition
SELECT retention_drop_body_partition($1)

-- name: retention_month_piece_bytes
-- The bytes of the month's bodies stored in message_bodies.
SELECT coalesce(sum(octet_length(content)), 0)::bigint
FROM message_bodies WHERE message_id >= $1 AND message_id < $2

-- name: retention_purge_for_message
-- Why a body is gone: the latest purge of its month, and its bundle.
SELECT p.purged_at, b.file_name AS bundle, b.exported_at AS archived_at
FROM retention_purges p
LEFT JOIN archive_bundles b ON b.id = p.bundle_id
WHERE p.month = $1
ORDER BY p.purged_at DESC, p.id DESC
LIMIT 1

-- name: retention_restore_targets
SELECT m.id, m.sha256,
       m.body IS NOT NULL
           OR EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = m.id) AS has_body
FROM messages m
WHERE m.id = ANY ($1::text[])

-- name: retention_put_back_body
-- A restored body goes back where the fetch paths read it.
UPDATE messages SET body = $2 WHERE id = $1 AND body IS NULL

-- name: retention_lease_state
SELECT last_run_at FROM retention_state

-- name: retention_record_run
UPDATE retention_state
SET last_run_at = $1, holder = $2, body_bytes_held = $3, next_purge_at = $4,
    next_purge_month = $5

-- name: retention_bytes_held
SELECT (coalesce((SELECT sum(octet_length(body)) FROM messages WHERE body IS NOT NULL), 0)
        + coalesce((SELECT sum(octet_length(content)) FROM message_bodies), 0))::bigint

-- name: retention_oldest_body
-- The oldest message still holding a body (the key's order is the time's).
SELECT min(id) FROM (
    (SELECT id FROM messages WHERE body IS NOT NULL ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT message_id FROM message_bodies ORDER BY message_id LIMIT 1)
) AS oldest

-- name: retention_figures
-- What /metrics and the dashboard show (cheap: the daily task's figures,
-- the holds, and the oldest unsettled delivery by the backlog's indexes).
SELECT s.body_bytes_held, s.next_purge_at, s.next_purge_month, s.last_run_at,
       (SELECT count(*) FROM legal_holds WHERE lifted_at IS NULL)::bigint AS held_documents,
       (SELECT min(created_at) FROM deliveries
        WHERE transport_state IN ('queued', 'relayed', 'delivered', 'retrying'))
           AS oldest_unsettled_at
FROM retention_state s
