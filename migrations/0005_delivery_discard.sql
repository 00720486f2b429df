-- Operators may discard a dead delivery: it leaves the dead list but stays
-- on record (with its audit entry) instead of being deleted.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_transport_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_transport_state_check
    CHECK (transport_state IN ('queued', 'delivered', 'acked', 'retrying', 'dead', 'discarded'));

-- Where the retry budget is counted from: the delivery's creation, or the
-- moment an operator last sent a dead delivery back to the queue.
ALTER TABLE deliveries ADD COLUMN budget_from timestamptz;
