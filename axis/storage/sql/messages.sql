-- name: intake_existing
-- Earlier messages that make submissions repeats (same bytes) or conflicts
-- (same sender and DocumentId), with whom they were routed to. LATERAL
-- probes keep each look-up on its unique index however large the table.
SELECT m.id, m.kind, m.sender_id, m.document_id, m.sha256,
       ARRAY(SELECT d.recipient_id FROM deliveries d WHERE d.message_id = m.id ORDER BY d.id)
           AS recipients
FROM unnest($1::text[], $2::bytea[], $3::text[]) AS k(sender_id, sha256, document_id)
CROSS JOIN LATERAL (
    SELECT x.id, x.kind, x.sender_id, x.document_id, x.sha256
    FROM messages x WHERE x.sender_id = k.sender_id AND x.sha256 = k.sha256
    UNION
    SELECT x.id, x.kind, x.sender_id, x.document_id, x.sha256 FROM messages x
    WHERE x.kind = 'edoc' AND NOT x.repeats_acted_on
      AND x.sender_id = k.sender_id AND x.document_id = k.document_id
) AS m;

-- name: intake_insert_messages
-- Rows that collide with a stored message (same bytes, or same DocumentId)
-- are skipped, not errors: the batch goes on and the caller looks them up.
-- The body goes to message_bodies (axis.storage.bodies), after this.
INSERT INTO messages (id, kind, sender_id, document_id, sha256, size, subject,
                      code_number, code_notation, priority, business_type, acts_on_message_id,
                      repeats_acted_on, status_code, description, status_at, answers_message_id,
                      due_date, signer_fingerprint, signature_algorithm, received_via)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[],
                     $6::int[], $7::text[], $8::text[], $9::text[], $10::smallint[],
                     $11::smallint[], $12::text[], $13::boolean[], $14::text[], $15::text[],
                     $16::timestamptz[], $17::text[], $18::date[], $19::text[], $20::text[],
                     $21::text[])
ON CONFLICT DO NOTHING
RETURNING id;

-- name: intake_insert_deliveries
INSERT INTO deliveries (message_id, recipient_id, kind, mode, priority)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[]);

-- name: intake_find_document
-- The original, not the revocations or updates that repeat its DocumentId.
SELECT id FROM messages
WHERE sender_id = $1 AND document_id = $2 AND kind = 'edoc' AND NOT repeats_acted_on;

-- name: intake_find_acted_on
-- The documents an acting document names, whoever sent them: acting on another
-- agency's document is refused for what it is, not as an unknown one.
SELECT id, sender_id, document_id FROM messages
WHERE document_id = ANY($1::text[]) AND kind = 'edoc' AND NOT repeats_acted_on;

-- name: intake_revoked_copies
SELECT recipients FROM document_actions WHERE target_message_id = $1 AND business_type = 1;

-- name: intake_insert_document_action
INSERT INTO document_actions (acting_message_id, target_message_id, business_type, recipients)
VALUES ($1, $2, $3, $4);

-- name: intake_lock_document
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- name: intake_document_recipients
SELECT recipient_id FROM deliveries WHERE message_id = $1 ORDER BY id;

-- name: intake_status_history
SELECT from_id, status_code FROM status_events WHERE document_message_id = $1 ORDER BY id;

-- name: intake_delivery_modes
SELECT organ_id, endpoint_url IS NOT NULL AS push FROM agencies WHERE organ_id = ANY($1::text[]);

-- name: intake_insert_status_event
INSERT INTO status_events (document_message_id, status_message_id, from_id, status_code, description, status_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: intake_set_business_status
UPDATE deliveries SET business_status = $3 WHERE message_id = $1 AND recipient_id = $2;

-- name: intake_insert_refusal
INSERT INTO refusals (organ_id, code, kind, detail, sha256, received_via)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: intake_notify
-- Delivered at commit; identical notices of one transaction arrive once.
SELECT pg_notify(n.channel, n.payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload);

-- name: tracking_message
SELECT id, kind, sender_id, document_id, business_type, acts_on_message_id, accepted_at
FROM messages WHERE id = $1;

-- name: tracking_deliveries
SELECT recipient_id, transport_state, attempts, last_error, delivered_at, acked_at, business_status
FROM deliveries WHERE message_id = $1 ORDER BY id;

-- name: tracking_statuses
SELECT from_id, status_code, description, status_at, received_at, status_message_id
FROM status_events WHERE document_message_id = $1 ORDER BY id;

-- name: tracking_acting_documents
-- The revocations, updates and replacements of a document, oldest first, and
-- whose copies each acts on.
SELECT a.acting_message_id, m.id, m.document_id, a.business_type, m.accepted_at, a.recipients
FROM document_actions a JOIN messages m ON m.id = a.acting_message_id
WHERE a.target_message_id = $1 ORDER BY m.accepted_at, m.id;

-- name: tracking_acted_on
-- What an acting document acts on (a replacement: possibly several).
SELECT m.id, m.document_id, a.business_type, a.recipients
FROM document_actions a JOIN messages m ON m.id = a.target_message_id
WHERE a.acting_message_id = $1 ORDER BY m.accepted_at, m.id;

-- name: inbox_acted_on
-- For an inbox page: the revocations, updates and replacements of the listed
-- documents that concern the caller's copy, oldest first.
SELECT a.target_message_id, a.acting_message_id, a.business_type, a.recipients
FROM document_actions a JOIN messages m ON m.id = a.acting_message_id
WHERE a.target_message_id = ANY($1::text[]) AND $2 = ANY(a.recipients)
ORDER BY m.accepted_at, m.id;

-- name: bodies_insert_small
-- Bodies held in memory (the hot path), each one piece, for a whole batch.
INSERT INTO message_bodies (message_id, part, content)
SELECT id, 0, content FROM unnest($1::text[], $2::bytea[]) AS b (id, content);

-- name: bodies_piece
SELECT content FROM message_bodies WHERE message_id = $1 AND part = $2;
