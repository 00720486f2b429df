-- The agency directory's search: OrganId prefixes through an index whose
-- comparisons are bytewise (the primary key's collation cannot serve
-- prefix ranges). Name prefixes use agencies_name_idx from 0002.
-- (pg_trgm is not shipped with the embedded PostgreSQL, so no substring search.)
CREATE INDEX agencies_organ_prefix_idx ON agencies (organ_id text_pattern_ops);
