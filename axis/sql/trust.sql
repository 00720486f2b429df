-- name: trust_generation
SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM trust_generation

-- name: trust_certificates
SELECT fingerprint, pem, subject, not_after FROM trust_certificates WHERE role = $1
ORDER BY added_at

-- name: revocation_lists
SELECT issuer, der, this_update, next_update FROM revocation_lists
