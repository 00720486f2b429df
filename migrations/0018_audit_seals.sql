-- The chain itself: one seal per audit entry, in chain order (position).
-- Each seal's hash is SHA-256 over the previous seal's hash and its entry's
-- content, so changing, inserting, reordering or removing any sealed entry
-- breaks the chain after it. Append-only, like audit_log.
-- No foreign key to audit_log: a removed entry must show up as a broken
-- link in `axis audit verify`, not be made impossible to diagnose.
CREATE TABLE audit_seals (
    position bigint PRIMARY KEY,
    entry_id bigint NOT NULL UNIQUE,
    previous_hash bytea NOT NULL,
    hash bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Where the sealer stands: the last seal, and the (xact, id) of the last
-- sealed entry (the cursor). Every sealing transaction locks this row, so two
-- sealers can never fork the chain even if both believe they hold the lease.
-- holder and sealed_at say which node seals and when it last did.
CREATE TABLE audit_sealer (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position bigint NOT NULL,
    hash bytea NOT NULL,
    last_xact xid8 NOT NULL,
    last_id bigint NOT NULL,
    holder text,
    sealed_at timestamptz
);

-- The chain written before this migration becomes the first seals, verbatim.
INSERT INTO audit_seals (position, entry_id, previous_hash, hash)
SELECT row_number() OVER (ORDER BY id), id, previous_hash, hash
FROM audit_log WHERE xact IS NULL ORDER BY id;

INSERT INTO audit_sealer (position, hash, last_xact, last_id)
SELECT count(*),
       coalesce((SELECT hash FROM audit_seals ORDER BY position DESC LIMIT 1),
                '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea),
       '0'::xid8, 0
FROM audit_seals;
