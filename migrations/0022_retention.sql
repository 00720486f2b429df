-- Retention and archiving (issue #18): legal holds, archive bundles, purges,
-- and bodies stored in monthly partitions so a month goes with a DROP.
--
-- Every statement here is a catalogue change or touches only new or empty
-- tables: no existing row is read or rewritten, so the locks this migration
-- takes on live tables last an instant, whatever the size of the database
-- (benchmarks/retention.py measures how long a concurrent writer waits).

-- A purged body leaves its metadata behind: the row stays, the bytes go.
-- (Dropping NOT NULL only changes the catalogue; it is a no-op if already done.)
ALTER TABLE messages ALTER COLUMN body DROP NOT NULL;

-- Bodies, keyed by message id and piece, RANGE-partitioned on the id: ids are
-- time-ordered (48-bit milliseconds first, lowercase hex), so a month is the
-- range of ids between two hex prefixes and purging it is dropping a table.
-- If an earlier migration made message_bodies a plain table, it is kept as
-- it is and attached as the DEFAULT partition: attaching a default partition
-- reads none of its rows, so the switch holds its lock for an instant. The
-- monthly partitions are then created ahead of time by the retention task
-- (axis.retention.partitions), each after a CHECK proving the default holds
-- nothing of that month has been validated without blocking writers.
DO $$
DECLARE
    kind "char";
BEGIN
    SELECT c.relkind INTO kind FROM pg_class c
    WHERE c.relname = 'message_bodies' AND c.relnamespace = current_schema()::regnamespace;
    IF kind = 'p' THEN
        RETURN;
    END IF;
    IF kind IS NULL THEN
        CREATE TABLE message_bodies_before_partitions (
            message_id text NOT NULL REFERENCES messages (id),
            part integer NOT NULL DEFAULT 0,
            content bytea NOT NULL,
            PRIMARY KEY (message_id, part)
        );
    ELSE
        ALTER TABLE message_bodies RENAME TO message_bodies_before_partitions;
    END IF;
    -- Base64 attachments do not compress (see messages.body).
    ALTER TABLE message_bodies_before_partitions ALTER COLUMN content SET STORAGE EXTERNAL;
    EXECUTE 'CREATE TABLE message_bodies (LIKE message_bodies_before_partitions '
            'INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE (message_id)';
    -- The key on the parent is matched to the legacy table's own on attach.
    ALTER TABLE message_bodies ADD PRIMARY KEY (message_id, part);
    ALTER TABLE message_bodies ATTACH PARTITION message_bodies_before_partitions DEFAULT;
END
$$;

-- Monthly partitions are created and dropped by name and bounds, which SQL
-- cannot take as parameters: these functions quote them (format %I, %L) so
-- no identifier is ever pasted into SQL by the application.
-- The bound: a NOT VALID CHECK that the default partition holds nothing from
-- $1 on; it is validated afterwards (VALIDATE CONSTRAINT, which lets writes
-- through), and from then on a new partition at or above it needs no scan.
CREATE FUNCTION retention_bound_legacy_bodies(bound text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE message_bodies_before_partitions '
                   'ADD CONSTRAINT message_bodies_before_partitions_bound '
                   'CHECK (message_id < %L) NOT VALID', bound);
END
$$;

-- Intake's writes lock messages, then message_bodies; creating or dropping a
-- partition locks message_bodies and then, for the partition's foreign key,
-- messages. Taking messages first here keeps one order (a writer waits for a
-- few milliseconds instead of the two deadlocking).
CREATE FUNCTION retention_create_body_partition(name text, low text, high text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I PARTITION OF message_bodies FOR VALUES FROM (%L) TO (%L)',
                   name, low, high);
    -- Empty when created, so the key costs nothing to check.
    EXECUTE format('ALTER TABLE %I ADD FOREIGN KEY (message_id) REFERENCES messages (id)', name);
END
$$;

CREATE FUNCTION retention_drop_body_partition(name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format('DROP TABLE %I', name);
END
$$;

-- The retention work is audited: holds placed and lifted, bundles exported,
-- months purged and restored. The action list is the CHECK of 0019 plus
-- these; re-adding it validated reads audit_log once under the table's lock
-- (a migration is one transaction, so it cannot validate separately):
-- benchmarks/retention.py measures the writes blocked meanwhile.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'message.accept', 'message.refuse', 'message.deliver', 'message.ack',
    'message.relay',
    'delivery.dead', 'delivery.retry', 'delivery.discard',
    'agency.add', 'agency.suspend', 'agency.resume', 'agency.cert_add',
    'trust.anchor_add', 'trust.intermediate_add', 'trust.crl_add',
    'user.add', 'user.sign_in', 'user.sign_in_failed', 'user.locked', 'user.sign_out',
    'peer.add', 'peer.remove', 'peer.set_secret', 'peer.sync',
    'retention.hold', 'retention.hold_lift', 'retention.export', 'retention.purge',
    'retention.restore'
));

-- A legal hold on a document: nothing it covers is purged while it is
-- active. What it covers is worked out when purging (axis.retention.holds):
-- the document, the documents acting on it or that it acts on (revocations,
-- updates, replacements) and their statuses, including those that arrive
-- after the hold was placed. Lifting keeps the row, with who and why.
CREATE TABLE legal_holds (
    id bigserial PRIMARY KEY,
    message_id text NOT NULL REFERENCES messages (id),
    reason text NOT NULL CHECK (btrim(reason) <> ''),
    placed_by text NOT NULL,
    placed_at timestamptz NOT NULL,
    lifted_by text,
    lifted_at timestamptz,
    lift_reason text,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)),
    CHECK (lifted_at IS NULL OR btrim(lift_reason) <> '')
);
-- One active hold per document; lifted ones stay on record.
CREATE UNIQUE INDEX legal_holds_active_idx ON legal_holds (message_id) WHERE lifted_at IS NULL;

-- Bundles written by `axis archive export`: a purge needs the bundle of its
-- month, verified again when purging (its manifest must list every body).
CREATE TABLE archive_bundles (
    id bigserial PRIMARY KEY,
    month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    file_name text NOT NULL,
    manifest_sha256 bytea NOT NULL UNIQUE,
    messages integer NOT NULL,
    body_bytes bigint NOT NULL,
    exported_at timestamptz NOT NULL
);
CREATE INDEX archive_bundles_month_idx ON archive_bundles (month, exported_at DESC);

-- Each purge of a month's bodies, so a fetch of a purged body can say when
-- it was archived and in which bundle (410 message.purged). bundle_id is
-- NULL for a purge told --without-archive.
CREATE TABLE retention_purges (
    id bigserial PRIMARY KEY,
    month text NOT NULL,
    bundle_id bigint REFERENCES archive_bundles (id),
    purged_at timestamptz NOT NULL,
    bodies integer NOT NULL,
    body_bytes bigint NOT NULL,
    kept_held integer NOT NULL DEFAULT 0,
    kept_unsettled integer NOT NULL DEFAULT 0
);
CREATE INDEX retention_purges_month_idx ON retention_purges (month, purged_at DESC);

-- What the daily task last found (one row): /metrics and the dashboard read
-- these figures instead of summing a year of bodies on every scrape.
CREATE TABLE retention_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_run_at timestamptz,
    holder text,
    body_bytes_held bigint NOT NULL DEFAULT 0,
    next_purge_at timestamptz,
    next_purge_month text
);
INSERT INTO retention_state DEFAULT VALUES;
