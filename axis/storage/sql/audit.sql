-- name: lock_audit_chain
SELECT pg_advisory_xact_lock($1)

-- name: last_audit_hash
SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1

-- name: insert_audit_rows
-- One statement for a batch; ids follow the arrays' order, which is the chain's.
INSERT INTO audit_log (at, actor, action, subject, detail, previous_hash, hash)
SELECT $1, r.actor, r.action, r.subject, r.detail, r.previous_hash, r.hash
FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::bytea[])
     WITH ORDINALITY AS r (actor, action, subject, detail, previous_hash, hash, position)
ORDER BY r.position;

-- name: audit_rows_after
SELECT id, at, actor, action, subject, detail, previous_hash, hash
FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2
