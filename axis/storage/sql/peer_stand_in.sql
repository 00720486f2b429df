-- Stand-in for fed-peers' axis/storage/sql/peers.sql until it lands (deleted at merge).

-- name: stand_in_insert_peer
INSERT INTO peers (name, url, protocol, system_id, inbound_secret_ciphertext,
                   inbound_secret_lookup)
VALUES ($1, $2, $3, $4, $5, $6)

-- name: stand_in_insert_route
INSERT INTO peer_routes (peer_name, pattern, wildcards) VALUES ($1, $2, $3)

-- name: stand_in_peer_endpoint
INSERT INTO push_endpoints (endpoint_url) VALUES ($1) ON CONFLICT DO NOTHING

-- name: stand_in_set_outbound_secret
UPDATE peers SET outbound_secret_ciphertext = $2, updated_at = now() WHERE name = $1
RETURNING name

-- name: stand_in_peers
SELECT p.name, p.url, p.protocol, p.system_id, p.outbound_secret_ciphertext,
       p.directory_synced_at,
       coalesce(array_agg(r.pattern ORDER BY r.pattern) FILTER (WHERE r.pattern IS NOT NULL),
                '{}') AS patterns
FROM peers p LEFT JOIN peer_routes r ON r.peer_name = p.name
GROUP BY p.name
ORDER BY p.name

-- name: stand_in_peer_by_lookup
SELECT name FROM peers WHERE inbound_secret_lookup = $1
