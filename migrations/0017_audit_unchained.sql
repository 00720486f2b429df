-- Writers append audit entries unchained; a sealer chains them afterwards
-- (axis.audit.sealer), so no writer waits on another for the chain's last hash.
-- Each entry records the transaction that wrote it: the sealer chains only
-- entries of transactions older than every transaction still running, so an
-- entry can never become visible behind the sealed part of the chain.
-- Rows written before this migration keep their hashes and have no xact;
-- The next migration (audit seals) copies their chain into audit_seals.
-- Every statement here is a catalogue change (no default is evaluated for
-- existing rows; the partial index has nothing to index yet), so the lock on
-- audit_log is held only for an instant.
ALTER TABLE audit_log ADD COLUMN xact xid8;
ALTER TABLE audit_log ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
ALTER TABLE audit_log ALTER COLUMN previous_hash DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash DROP NOT NULL;
-- The sealer's walk: entries after its cursor, in the chain's order.
CREATE INDEX audit_log_chain_order_idx ON audit_log (xact, id) WHERE xact IS NOT NULL;
