-- name: transition_set
INSERT INTO agency_transitions (organ_id, until, set_by) VALUES ($1, $2, $3)
ON CONFLICT (organ_id) DO UPDATE SET until = excluded.until, set_by = excluded.set_by,
                                     set_at = now()

-- name: transition_clear
DELETE FROM agency_transitions WHERE organ_id = $1 RETURNING organ_id

-- name: transition_until
SELECT until FROM agency_transitions WHERE organ_id = $1

-- Every agency in transition, with how many messages the axis sealed for it.
-- name: transition_agencies
SELECT t.organ_id, a.name, t.until, t.set_by, t.set_at,
       (SELECT count(*) FROM message_seals s WHERE s.sender_id = t.organ_id) AS sealed,
       (SELECT max(s.sealed_at) FROM message_seals s WHERE s.sender_id = t.organ_id)
           AS last_sealed_at
FROM agency_transitions t JOIN agencies a USING (organ_id)
ORDER BY t.until, t.organ_id

-- name: seal_insert
INSERT INTO message_seals (message_id, sender_id, seal, sealed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])

-- name: seal_of_messages
SELECT message_id, seal FROM message_seals WHERE message_id = ANY($1::text[])

-- name: tracking_seal
SELECT seal FROM message_seals WHERE message_id = $1
