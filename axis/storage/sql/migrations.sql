-- name: lock_migrations
SELECT pg_advisory_lock($1)

-- name: unlock_migrations
SELECT pg_advisory_unlock($1)

-- name: migration_table_exists
SELECT to_regclass('axis_schema_migrations') IS NOT NULL

-- name: create_migration_table
CREATE TABLE IF NOT EXISTS axis_schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)

-- name: applied_migrations
SELECT version, name, checksum FROM axis_schema_migrations ORDER BY version

-- name: record_migration
INSERT INTO axis_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)
