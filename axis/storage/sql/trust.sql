-- name: trust_generation
SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM trust_generation

-- name: trust_certificates
SELECT fingerprint, pem, subject, not_after FROM trust_certificates WHERE role = $1
ORDER BY added_at

-- name: revocation_lists
SELECT issuer, der, this_update, next_update FROM revocation_lists

-- name: trust_insert_certificate
INSERT INTO trust_certificates (fingerprint, role, pem, subject, not_after)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (fingerprint) DO NOTHING
RETURNING fingerprint

-- name: trust_list_certificates
SELECT fingerprint, role, subject, not_after, added_at FROM trust_certificates
ORDER BY added_at, fingerprint

-- name: trust_all_certificates
SELECT role, pem FROM trust_certificates

-- name: trust_crl_of_issuer
SELECT this_update FROM revocation_lists WHERE issuer = $1 FOR UPDATE

-- name: trust_upsert_crl
INSERT INTO revocation_lists (issuer, der, this_update, next_update)
VALUES ($1, $2, $3, $4)
ON CONFLICT (issuer) DO UPDATE
    SET der = EXCLUDED.der, this_update = EXCLUDED.this_update,
        next_update = EXCLUDED.next_update, added_at = now()

-- name: trust_list_crls
SELECT issuer, this_update, next_update, added_at FROM revocation_lists ORDER BY issuer

-- name: trust_lock_changes
SELECT pg_advisory_xact_lock($1)
