-- Queries of the people pages (users, sessions, clerk lists, dashboard).

-- name: ui_insert_user
INSERT INTO users (username, role, organ_id, password_hash) VALUES ($1, $2, $3, $4)

-- name: ui_get_user
SELECT username, role, organ_id, password_hash, failed_attempts, locked_until,
       locked_until IS NOT NULL AND locked_until > now() AS locked
FROM users WHERE username = $1

-- name: ui_record_success
UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = coalesce($2, password_hash)
WHERE username = $1

-- name: ui_insert_session
INSERT INTO ui_sessions (token_hash, username, csrf_token, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))

-- name: ui_get_session
SELECT s.username, s.csrf_token, u.role, u.organ_id
FROM ui_sessions s JOIN users u USING (username)
WHERE s.token_hash = $1 AND s.expires_at > now()

-- name: ui_delete_session
DELETE FROM ui_sessions WHERE token_hash = $1

-- name: ui_delete_expired_sessions
DELETE FROM ui_sessions WHERE expires_at <= now()

-- name: ui_sent_documents
-- Văn bản đi, newest first; keyset on (accepted_at, id). NULL filters are off.
SELECT m.id, m.document_id, m.code_number, m.code_notation, m.subject, m.accepted_at,
       (SELECT json_agg(json_build_object('recipient_id', d.recipient_id,
                                          'transport_state', d.transport_state,
                                          'business_status', d.business_status)
                        ORDER BY d.recipient_id)
        FROM deliveries d WHERE d.message_id = m.id) AS recipients
FROM messages m
WHERE m.sender_id = $1 AND m.kind = 'edoc'
  AND ($2::timestamptz IS NULL OR (m.accepted_at, m.id) < ($2, $3::text))
  AND ($4::timestamptz IS NULL OR m.accepted_at >= $4)
  AND ($5::timestamptz IS NULL OR m.accepted_at < $5)
  AND ($6::text IS NULL OR m.code_number || '/' || m.code_notation ILIKE '%' || $6 || '%'
       OR m.subject ILIKE '%' || $6 || '%')
  AND ($7::text IS NULL AND $8::text IS NULL AND $9::text IS NULL OR EXISTS (
        SELECT 1 FROM deliveries d WHERE d.message_id = m.id
          AND ($7::text IS NULL OR d.recipient_id = $7)
          AND ($8::text IS NULL OR d.transport_state = $8)
          AND ($9::text IS NULL OR d.business_status = $9)))
ORDER BY m.accepted_at DESC, m.id DESC
LIMIT $10

-- name: ui_received_documents
-- Văn bản đến, newest first; keyset on the delivery id.
SELECT d.id AS delivery_id, m.id, m.sender_id, a.name AS sender_name, m.code_number,
       m.code_notation, m.subject, m.accepted_at, d.transport_state, d.business_status
FROM deliveries d
JOIN messages m ON m.id = d.message_id
JOIN agencies a ON a.organ_id = m.sender_id
WHERE d.recipient_id = $1 AND d.kind = 'edoc'
  AND ($2::bigint IS NULL OR d.id < $2)
  AND ($3::text IS NULL OR m.code_number || '/' || m.code_notation ILIKE '%' || $3 || '%'
       OR m.subject ILIKE '%' || $3 || '%')
ORDER BY d.id DESC
LIMIT $4

-- name: ui_document
-- A document the agency sent or received (NULL when it did neither).
SELECT m.id, m.kind, m.sender_id, a.name AS sender_name, m.document_id, m.code_number,
       m.code_notation, m.subject, m.accepted_at, m.size, m.signature_algorithm,
       m.sender_id = $2 AS sent_by_me
FROM messages m JOIN agencies a ON a.organ_id = m.sender_id
WHERE m.id = $1 AND m.kind = 'edoc'
  AND (m.sender_id = $2 OR EXISTS (
        SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.recipient_id = $2))

-- name: ui_document_deliveries
SELECT d.recipient_id, a.name AS recipient_name, d.transport_state, d.business_status,
       d.attempts, d.last_error, d.delivered_at, d.acked_at
FROM deliveries d JOIN agencies a ON a.organ_id = d.recipient_id
WHERE d.message_id = $1 AND ($2::text IS NULL OR d.recipient_id = $2)
ORDER BY d.recipient_id

-- name: ui_document_statuses
SELECT id, from_id, status_code, description, status_at, received_at
FROM status_events
WHERE document_message_id = $1 AND ($2::text IS NULL OR from_id = $2 OR from_id = $3)
ORDER BY id

-- name: ui_document_body
-- The clerk's page decodes the whole envelope: the pieces joined in the database.
SELECT coalesce((SELECT string_agg(b.content, ''::bytea ORDER BY b.part) FROM message_bodies b
                 WHERE b.message_id = m.id), m.body) AS body,
       m.document_id
FROM messages m
WHERE m.id = $1 AND m.kind = 'edoc'
  AND (m.sender_id = $2 OR EXISTS (
        SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.recipient_id = $2))

-- name: ui_agency_names
SELECT organ_id, name FROM agencies ORDER BY organ_id

-- name: ui_backlog_by_state
SELECT transport_state, count(*)::bigint AS count FROM deliveries
WHERE transport_state IN ('queued', 'retrying', 'dead')
GROUP BY transport_state

-- name: ui_messages_per_minute
-- Documents in (accepted) per minute over the last hour.
SELECT date_trunc('minute', accepted_at) AS minute, count(*)::bigint AS count
FROM messages WHERE kind = 'edoc' AND accepted_at > now() - interval '1 hour'
GROUP BY 1 ORDER BY 1

-- name: ui_deliveries_per_minute
-- Documents out (delivered) per minute over the last hour.
SELECT date_trunc('minute', delivered_at) AS minute, count(*)::bigint AS count
FROM deliveries WHERE kind = 'edoc' AND delivered_at > now() - interval '1 hour'
GROUP BY 1 ORDER BY 1

-- name: ui_delivery_latency
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))
           AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))
           AS p99,
       count(*)::bigint AS count
FROM deliveries WHERE delivered_at > now() - interval '1 hour'

-- name: ui_failing_endpoints
SELECT a.endpoint_url, d.recipient_id,
       count(*) FILTER (WHERE d.transport_state = 'retrying')::bigint AS retrying,
       count(*) FILTER (WHERE d.transport_state = 'dead')::bigint AS dead,
       max(d.last_error) AS last_error
FROM deliveries d JOIN agencies a ON a.organ_id = d.recipient_id
WHERE d.transport_state IN ('queued', 'retrying', 'dead') AND d.last_error IS NOT NULL
GROUP BY a.endpoint_url, d.recipient_id
ORDER BY dead DESC, retrying DESC
LIMIT 50

-- name: ui_dead_deliveries
SELECT d.id, d.message_id, d.recipient_id, d.attempts, d.last_error, d.created_at,
       m.code_number, m.code_notation
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE d.transport_state = 'dead'
ORDER BY d.id
LIMIT 100

-- name: ui_refusals_by_code
SELECT code, count(*)::bigint AS count, max(refused_at) AS last_at FROM refusals
WHERE refused_at > now() - interval '24 hours'
GROUP BY code ORDER BY count DESC

-- name: ui_sha1_agencies
-- Agencies allowed SHA-1, and any that signed with it in the last 30 days.
SELECT a.organ_id, a.name, a.legacy_sha1, coalesce(s.count, 0)::bigint AS sha1_messages
FROM agencies a
LEFT JOIN (SELECT sender_id, count(*) AS count FROM messages
           WHERE signature_algorithm LIKE '%sha1' AND accepted_at > now() - interval '30 days'
           GROUP BY sender_id) s ON s.sender_id = a.organ_id
WHERE a.legacy_sha1 OR s.count > 0
ORDER BY a.organ_id

-- name: ui_expiring_certificates
SELECT c.organ_id, c.subject, c.not_after, c.fingerprint FROM agency_certificates c
WHERE c.not_after < now() + interval '30 days'
ORDER BY c.not_after

