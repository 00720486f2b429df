-- name: insert_agency
INSERT INTO agencies (organ_id, name, parent_id, system_id, secret_ciphertext, secret_lookup,
                      endpoint_url, legacy_sha1, email, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)

-- name: insert_agency_certificate
INSERT INTO agency_certificates (fingerprint, organ_id, pem, subject, not_before, not_after)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (fingerprint) DO NOTHING
RETURNING fingerprint

-- name: bump_trust_generation
SELECT nextval('trust_generation')

-- name: get_agency
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies WHERE organ_id = $1

-- name: get_agencies
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies WHERE organ_id = ANY($1::text[])

-- name: get_agency_by_secret_lookup
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies WHERE secret_lookup = $1

-- name: get_agency_by_system_id
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies WHERE system_id = $1

-- name: get_agency_secret
SELECT secret_ciphertext FROM agencies WHERE organ_id = $1

-- name: get_agency_certificate_fingerprints
SELECT fingerprint FROM agency_certificates WHERE organ_id = $1

-- name: set_agency_active
UPDATE agencies SET active = $2, updated_at = now() WHERE organ_id = $1 RETURNING organ_id

-- Directory pages: keyset pagination on organ_id ($1 = last organ_id seen,
-- '' for the first page); $2 = include suspended agencies.
-- name: registry_directory
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies
WHERE organ_id > $1 AND (active OR $2)
ORDER BY organ_id LIMIT $3

-- name: registry_directory_parent
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies
WHERE parent_id = $4 AND organ_id > $1 AND (active OR $2)
ORDER BY organ_id LIMIT $3

-- $4/$5: the search prefix and the first string after every string with that prefix.
-- name: registry_directory_search
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies
WHERE organ_id > $1 AND (active OR $2)
  AND ((organ_id ~>=~ $4 AND organ_id ~<~ $5)
       OR (lower(name) ~>=~ lower($4) AND lower(name) ~<~ lower($5)))
ORDER BY organ_id LIMIT $3

-- name: registry_directory_search_parent
SELECT organ_id, name, parent_id, system_id, endpoint_url, legacy_sha1, active, email
FROM agencies
WHERE parent_id = $6 AND organ_id > $1 AND (active OR $2)
  AND ((organ_id ~>=~ $4 AND organ_id ~<~ $5)
       OR (lower(name) ~>=~ lower($4) AND lower(name) ~<~ lower($5)))
ORDER BY organ_id LIMIT $3

-- name: registry_agency_certificates
SELECT fingerprint, organ_id, pem, subject, not_before, not_after, added_at
FROM agency_certificates WHERE organ_id = $1 ORDER BY added_at, fingerprint

-- name: registry_agency_exists
SELECT 1 FROM agencies WHERE organ_id = $1 FOR UPDATE

-- name: registry_plan_each_query
SET LOCAL plan_cache_mode = force_custom_plan
