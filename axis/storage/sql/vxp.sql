-- Queries of the VXP-compatible surface (axis/vxp).

-- name: vxp_received_list
-- Urgent first, oldest first within a priority (the native inbox's order and
-- index), so a bounded list never leaves an urgent document behind routine ones.
SELECT d.message_id, d.kind, m.sender_id, d.recipient_id, d.transport_state,
       d.business_status, d.created_at, coalesce(d.delivered_at, d.created_at) AS updated_at,
       m.document_id, m.status_code, m.description
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE d.recipient_id = $1 AND d.kind = $2 AND d.transport_state IN ('queued', 'delivered')
ORDER BY -d.priority, d.id
LIMIT $3

-- name: vxp_received_count
SELECT count(*) FROM deliveries
WHERE recipient_id = $1 AND kind = $2 AND transport_state IN ('queued', 'delivered')

-- name: vxp_sent_rows
-- One row per recipient of a message the caller sent, with the latest status.
SELECT m.id, m.kind, m.sender_id, m.subject, m.code_number, m.code_notation, m.accepted_at,
       d.recipient_id, d.transport_state, d.business_status, d.delivered_at, d.acked_at,
       d.last_error, latest.description AS status_description
FROM messages m
JOIN deliveries d ON d.message_id = m.id
LEFT JOIN LATERAL (
    SELECT s.description FROM status_events s
    WHERE s.document_message_id = m.id AND s.from_id = d.recipient_id
    ORDER BY s.id DESC LIMIT 1
) latest ON true
WHERE m.id = $1 AND m.sender_id = $2
ORDER BY d.id

-- name: vxp_recent_sent_rows
-- The caller's most recent messages (the window does not depend on priority:
-- sent messages never leave the list, so old urgent ones would crowd it),
-- listed urgent first, newest first within a priority.
SELECT m.id, m.kind, m.sender_id, m.subject, m.code_number, m.code_notation, m.accepted_at,
       d.recipient_id, d.transport_state, d.business_status, d.delivered_at, d.acked_at,
       d.last_error, latest.description AS status_description
FROM (
    SELECT * FROM messages WHERE sender_id = $1 AND kind = $2
    ORDER BY accepted_at DESC, id LIMIT $3
) m
JOIN deliveries d ON d.message_id = m.id
LEFT JOIN LATERAL (
    SELECT s.description FROM status_events s
    WHERE s.document_message_id = m.id AND s.from_id = d.recipient_id
    ORDER BY s.id DESC LIMIT 1
) latest ON true
ORDER BY m.priority DESC, m.accepted_at DESC, m.id, d.id

-- name: vxp_agencies_list_json
-- getAgenciesList's data array, encoded by PostgreSQL (see axis.vxp.directory): one
-- text value instead of 120,000 rows decoded and re-encoded in Python. Never null
-- (the SDK throws on JSON null): email is NOT NULL, parent_id coalesced.
SELECT coalesce(json_agg(a ORDER BY a.id)::text, '[]')
FROM (
    SELECT organ_id AS id, organ_id AS code, name, email AS mail,
           coalesce(parent_id, '') AS pid, '' AS "oldCode"
    FROM agencies WHERE active
) a

-- name: vxp_agencies_list_qd20_json
-- getAgenciesListQD20's data array, as vxp_agencies_list_json.
SELECT coalesce(json_agg(a ORDER BY a.id)::text, '[]')
FROM (
    SELECT organ_id AS id, organ_id AS code, name, email AS mail, organ_id AS code102
    FROM agencies WHERE active
) a

-- name: vxp_all_units
SELECT organ_id, name, email, parent_id, system_id, active, updated_at, created_by
FROM agencies ORDER BY organ_id

-- name: vxp_is_within
-- True when $1 is $2 or lies below it in the parent chain.
WITH RECURSIVE chain (organ_id, parent_id, depth) AS (
    SELECT organ_id, parent_id, 0 FROM agencies WHERE organ_id = $1
    UNION ALL
    SELECT a.organ_id, a.parent_id, c.depth + 1
    FROM agencies a JOIN chain c ON a.organ_id = c.parent_id
    WHERE c.depth < 64
)
SELECT EXISTS (SELECT 1 FROM chain WHERE organ_id = $2)

-- name: vxp_directory_version
-- Changes whenever an agency is added, renamed, moved, suspended or resumed.
SELECT count(*) AS agencies, max(updated_at) AS updated_at FROM agencies
