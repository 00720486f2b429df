-- Message bodies move out of the messages row into bounded pieces (issue #17):
-- a small body is one row (part 0), a large one is pieces of about a megabyte,
-- written and read one at a time, so no step of the axis holds a whole 150 MB
-- body in memory. Pieces rather than large objects: plain rows follow the
-- message's transaction, retention (range partitions, purge) and logical
-- replication like every other row; large objects live in pg_largeobject,
-- need their own clean-up and do not partition. benchmarks/large_envelopes
-- measures the piece size (see docs/architecture.md, "Bodies").
-- Rows written before this migration keep their body in messages.body (now
-- nullable, nothing is copied: a migration must not rewrite gigabytes); the
-- readers use it when a message has no part.
-- No serial id and nothing references this table, so it can later be range
-- partitioned on message_id (ids start with their 48-bit time).
CREATE TABLE message_bodies (
    message_id text NOT NULL REFERENCES messages (id),
    part integer NOT NULL CHECK (part >= 0),
    content bytea NOT NULL,
    PRIMARY KEY (message_id, part)
);
-- Envelopes are compressed already (zipped, base64 of zipped): do not spend
-- CPU compressing them again, as messages.body before.
ALTER TABLE message_bodies ALTER COLUMN content SET STORAGE EXTERNAL;
ALTER TABLE messages ALTER COLUMN body DROP NOT NULL;
