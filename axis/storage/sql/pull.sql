-- name: inbox_page
-- Urgent first, then oldest first within a priority. The keyset is
-- (-priority, delivery id) after ($3, $4): negated so that one ascending row
-- comparison is one range of deliveries_inbox_urgency_idx. $2 lists the kinds
-- wanted; each kind is its own ordered range, merged before the join.
SELECT d.id AS delivery_id, -d.priority AS rank, m.id, m.kind, m.sender_id, m.document_id,
       m.subject, m.status_code, m.priority, m.accepted_at, m.size, m.sha256
FROM (
    SELECT x.id, x.message_id, x.priority
    FROM unnest($2::text[]) AS k (kind)
    CROSS JOIN LATERAL (
        SELECT y.id, y.message_id, y.priority
        FROM deliveries y
        WHERE y.recipient_id = $1
          AND y.kind = k.kind
          AND y.transport_state IN ('queued', 'delivered')
          AND (-y.priority, y.id) > ($3::smallint, $4::bigint)
        ORDER BY -y.priority, y.id
        LIMIT $5
    ) AS x
    ORDER BY -x.priority, x.id
    LIMIT $5
) AS d
JOIN messages m ON m.id = d.message_id
ORDER BY -d.priority, d.id;

-- name: message_access
-- The message's first piece (its whole body when small; messages.body for one
-- stored before 0021), size and sender, and the caller's delivery of it if any.
SELECT coalesce(b.content, m.body) AS first, m.size, m.sender_id, d.id AS delivery_id, d.mode,
       d.transport_state
FROM messages m
LEFT JOIN message_bodies b ON b.message_id = m.id AND b.part = 0
LEFT JOIN deliveries d ON d.message_id = m.id AND d.recipient_id = $2
WHERE m.id = $1;

-- name: deliveries_deliver
-- One row per (message, recipient) that has a delivery; "changed": this batch
-- moved it to delivered. A fetch moves only a queued pull delivery. A
-- confirmation (the recipient says it has the message) also moves a push that
-- is queued or waiting for a retry, and takes it back from its worker.
-- The final SELECT reads the rows as they were: only unchanged columns.
WITH k AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bool[]) AS k(message_id, recipient_id, confirmed)
), moved AS (
    UPDATE deliveries d
    SET transport_state = 'delivered', delivered_at = coalesce(d.delivered_at, now()),
        next_attempt_at = CASE WHEN d.mode = 'push' THEN now() ELSE d.next_attempt_at END,
        lease_owner = NULL, lease_expires_at = NULL
    FROM k
    WHERE d.message_id = k.message_id AND d.recipient_id = k.recipient_id
      AND ((d.transport_state = 'queued' AND (d.mode = 'pull' OR k.confirmed))
           OR (k.confirmed AND d.transport_state = 'retrying'))
    RETURNING d.id
)
SELECT d.id, d.message_id, d.recipient_id, d.mode, d.attempts, d.last_error,
       d.id IN (SELECT id FROM moved) AS changed
FROM k JOIN deliveries d ON d.message_id = k.message_id AND d.recipient_id = k.recipient_id;

-- name: deliveries_ack
-- One row per (message, recipient) that has a delivery, with its state after
-- the ack; "changed": this batch acked it (an earlier ack is kept as it was).
WITH k AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        AS k(message_id, recipient_id, result, reason)
), acked AS (
    UPDATE deliveries d
    SET transport_state = 'acked', acked_at = now(), ack_result = k.result, ack_reason = k.reason,
        delivered_at = coalesce(d.delivered_at, now())
    FROM k
    WHERE d.message_id = k.message_id AND d.recipient_id = k.recipient_id
      AND d.transport_state <> 'acked'
    RETURNING d.id, d.message_id, d.recipient_id, d.acked_at, d.ack_result, d.ack_reason
)
SELECT a.message_id, a.recipient_id, a.acked_at, a.ack_result, a.ack_reason, true AS changed
FROM acked a
UNION ALL
SELECT d.message_id, d.recipient_id, d.acked_at, d.ack_result, d.ack_reason, false
FROM k JOIN deliveries d ON d.message_id = k.message_id AND d.recipient_id = k.recipient_id
WHERE d.id NOT IN (SELECT id FROM acked);

-- name: commit_without_flush
-- Only for writes a crash may lose harmlessly; later durable commits flush them too.
SET LOCAL synchronous_commit TO off;

-- name: message_access_batch
-- message_access for many ids at once, in the order asked ($1 WITH ORDINALITY). The
-- body comes only when it is whole in its first piece and the readable sizes so far
-- add up to at most $3 bytes: a batch answer stays bounded and in memory, and a
-- message left out (large, or with its body purged) is fetched alone.
SELECT asked.id AS message_id, m.sender_id, d.id AS delivery_id, d.mode, d.transport_state,
       CASE WHEN octet_length(coalesce(b.content, m.body)) = m.size
             AND sum(CASE WHEN d.id IS NOT NULL OR m.sender_id = $2 THEN m.size ELSE 0 END)
                 OVER (ORDER BY asked.n) <= $3
            THEN coalesce(b.content, m.body) END AS body
FROM unnest($1::text[]) WITH ORDINALITY AS asked (id, n)
LEFT JOIN messages m ON m.id = asked.id
LEFT JOIN message_bodies b ON b.message_id = m.id AND b.part = 0
LEFT JOIN deliveries d ON d.message_id = m.id AND d.recipient_id = $2
ORDER BY asked.n;
