-- The peer registry (axis/registry/peers.py): peer axes, their routes and
-- the directories copied from them.

-- name: bump_peer_generation
SELECT nextval('peer_generation')

-- name: peer_generation
SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM peer_generation

-- name: insert_peer
INSERT INTO peers (name, url, protocol, system_id, inbound_secret_ciphertext,
                   inbound_secret_lookup)
VALUES ($1, $2, $3, $4, $5, $6)

-- name: insert_peer_routes
INSERT INTO peer_routes (peer_name, pattern, wildcards)
SELECT $1, r.pattern, r.wildcards
FROM unnest($2::text[], $3::smallint[]) AS r (pattern, wildcards)

-- Peers with their patterns (most specific first), in name order.
-- name: list_peers
SELECT p.name, p.url, p.protocol, p.system_id, p.inbound_secret_lookup,
       p.outbound_secret_ciphertext, p.directory_synced_at,
       coalesce(array_agg(r.pattern ORDER BY r.wildcards, r.pattern)
                FILTER (WHERE r.pattern IS NOT NULL), '{}') AS patterns,
       (SELECT count(*) FROM peer_directory d WHERE d.peer_name = p.name) AS directory_size
FROM peers p LEFT JOIN peer_routes r ON r.peer_name = p.name
GROUP BY p.name
ORDER BY p.name

-- name: set_peer_outbound_secret
UPDATE peers SET outbound_secret_ciphertext = $2, updated_at = now()
WHERE name = $1 RETURNING name

-- Relay deliveries through a peer that are not finished yet: removal waits for them.
-- name: peer_open_deliveries
SELECT count(*) FROM deliveries
WHERE via = $1 AND transport_state IN ('queued', 'retrying')

-- name: delete_peer
DELETE FROM peers WHERE name = $1 RETURNING name

-- name: lock_peer
SELECT name FROM peers WHERE name = $1 FOR UPDATE

-- name: clear_peer_directory
DELETE FROM peer_directory WHERE peer_name = $1

-- name: insert_peer_directory
INSERT INTO peer_directory (peer_name, organ_id, name, parent_id, served_by)
SELECT $1, e.organ_id, e.name, e.parent_id, e.served_by
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
     AS e (organ_id, name, parent_id, served_by)
ON CONFLICT (peer_name, organ_id) DO NOTHING

-- name: mark_peer_synced
UPDATE peers SET directory_synced_at = now(), updated_at = now()
WHERE name = $1 RETURNING directory_synced_at

-- Of these (peer, OrganId) pairs, those in the peer's synced directory.
-- name: peer_directory_pairs
SELECT d.peer_name, d.organ_id
FROM unnest($1::text[], $2::text[]) AS w (peer_name, organ_id)
JOIN peer_directory d ON d.peer_name = w.peer_name AND d.organ_id = w.organ_id

-- OrganIds this axis serves itself (registered here), among those given.
-- name: local_organ_ids
SELECT organ_id FROM agencies WHERE organ_id = ANY($1::text[])

-- Remote agencies, one row per OrganId (the peer that sorts first, when two
-- peers list it), keyset-paginated like the registry's directory ($1 =
-- last OrganId seen, '' for the first page). Local agencies are left out:
-- a recipient registered here is served here.
-- name: remote_directory
SELECT DISTINCT ON (d.organ_id) d.organ_id, d.name, d.parent_id, d.served_by, d.peer_name
FROM peer_directory d
WHERE d.organ_id > $1 AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.organ_id = d.organ_id)
ORDER BY d.organ_id, d.peer_name LIMIT $2

-- name: remote_directory_parent
SELECT DISTINCT ON (d.organ_id) d.organ_id, d.name, d.parent_id, d.served_by, d.peer_name
FROM peer_directory d
WHERE d.parent_id = $3 AND d.organ_id > $1
  AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.organ_id = d.organ_id)
ORDER BY d.organ_id, d.peer_name LIMIT $2

-- $3/$4: the search prefix and the first string after every string with that prefix.
-- name: remote_directory_search
SELECT DISTINCT ON (d.organ_id) d.organ_id, d.name, d.parent_id, d.served_by, d.peer_name
FROM peer_directory d
WHERE d.organ_id > $1
  AND ((d.organ_id ~>=~ $3 AND d.organ_id ~<~ $4)
       OR (lower(d.name) ~>=~ lower($3) AND lower(d.name) ~<~ lower($4)))
  AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.organ_id = d.organ_id)
ORDER BY d.organ_id, d.peer_name LIMIT $2

-- name: remote_directory_search_parent
SELECT DISTINCT ON (d.organ_id) d.organ_id, d.name, d.parent_id, d.served_by, d.peer_name
FROM peer_directory d
WHERE d.parent_id = $5 AND d.organ_id > $1
  AND ((d.organ_id ~>=~ $3 AND d.organ_id ~<~ $4)
       OR (lower(d.name) ~>=~ lower($3) AND lower(d.name) ~<~ lower($4)))
  AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.organ_id = d.organ_id)
ORDER BY d.organ_id, d.peer_name LIMIT $2

-- name: remote_agency
SELECT d.organ_id, d.name, d.parent_id, d.served_by, d.peer_name
FROM peer_directory d
WHERE d.organ_id = $1 AND NOT EXISTS (SELECT 1 FROM agencies a WHERE a.organ_id = d.organ_id)
ORDER BY d.peer_name LIMIT 1
