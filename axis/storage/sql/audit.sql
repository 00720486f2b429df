-- name: insert_audit_entries
-- Unchained: the sealer chains them once their transaction is over. xact and
-- id come from their defaults; ids follow the arrays' order.
INSERT INTO audit_log (at, actor, action, subject, detail)
SELECT $1, r.actor, r.action, r.subject, r.detail
FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[])
     WITH ORDINALITY AS r (actor, action, subject, detail, position)
ORDER BY r.position;

-- name: seal_horizon
-- Every transaction with an id below this one is over (committed or rolled
-- back): no entry it wrote can still appear. Taken before the sealing
-- transaction has an id of its own, so it does not hold itself back.
SELECT pg_snapshot_xmin(pg_current_snapshot())

-- name: sealer_state_for_update
SELECT position, hash, last_xact, last_id FROM audit_sealer FOR UPDATE

-- name: audit_entries_to_seal
-- In chain order, after the cursor, below the horizon: all of them are visible
-- in this statement's snapshot, and none can appear behind the cursor later.
SELECT id, xact, at, actor, action, subject, detail
FROM audit_log
WHERE xact IS NOT NULL AND xact < $3::xid8 AND (xact, id) > ($1::xid8, $2)
ORDER BY xact, id
LIMIT $4

-- name: insert_audit_seals
INSERT INTO audit_seals (position, entry_id, previous_hash, hash)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])

-- name: advance_sealer
UPDATE audit_sealer
SET position = $1, hash = $2, last_xact = $3::xid8, last_id = $4, holder = $5, sealed_at = now()

-- name: audit_chain_after
-- The sealed chain in order with its entries; a seal whose entry is gone
-- drops out here, so the seal after it does not follow.
SELECT s.position, s.previous_hash, s.hash,
       e.id, e.xact IS NULL AS legacy, e.xact, e.at, e.actor, e.action, e.subject, e.detail
FROM audit_seals s JOIN audit_log e ON e.id = s.entry_id
WHERE s.position > $1
ORDER BY s.position
LIMIT $2

-- name: audit_unsealed
-- Entries without a seal: behind the chain's last sealed entry (xact, id)
-- they were slipped in (or their seal removed); after it they wait for the
-- sealer. $1 and $2 are that last entry's xact and id (NULL: none yet).
WITH unsealed AS (
    SELECT e.id, e.at,
           e.xact IS NULL OR ($1::xid8 IS NOT NULL AND (e.xact, e.id) < ($1::xid8, $2)) AS behind
    FROM audit_log e
    WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.entry_id = e.id)
)
SELECT min(id) FILTER (WHERE behind) AS first_behind,
       count(*) FILTER (WHERE NOT behind) AS waiting,
       min(at) FILTER (WHERE NOT behind) AS oldest_waiting_at,
       now() AS now
FROM unsealed

-- name: sealer_lag
-- Cheap, for a node's view: entries after the sealer's cursor.
SELECT count(e.id) AS waiting, min(e.at) AS oldest_waiting_at, max(st.holder) AS holder,
       max(st.sealed_at) AS sealed_at
FROM audit_sealer st
LEFT JOIN audit_log e ON e.xact IS NOT NULL AND (e.xact, e.id) > (st.last_xact, st.last_id)
