-- name: lock_audit_chain
SELECT pg_advisory_xact_lock($1)

-- name: last_audit_hash
SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1

-- name: insert_audit_row
INSERT INTO audit_log (at, actor, action, subject, detail, previous_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: audit_rows_after
SELECT id, at, actor, action, subject, detail, previous_hash, hash
FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2
