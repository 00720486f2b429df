-- Urgent first: the pull inbox and the VXP received list are ordered by
-- (priority DESC, delivery id). The index holds -priority so that the
-- inbox's keyset condition, the ascending row comparison
-- (-priority, id) > (cursor), is one index range however deep the inbox.
CREATE INDEX deliveries_inbox_urgency_idx ON deliveries (recipient_id, kind, (-priority), id)
    WHERE transport_state IN ('queued', 'delivered');
-- Its only readers (inbox, VXP list and count) now use the index above.
DROP INDEX deliveries_inbox_idx;

-- Push claims read each push agency's due work from its own ranges of this
-- index, urgent first (or per priority, oldest first): a few rows per agency
-- whatever the backlog, and no cached plan can turn a claim into a scan.
CREATE INDEX deliveries_push_queue_idx
    ON deliveries (recipient_id, (-priority), next_attempt_at, id)
    WHERE mode = 'push' AND transport_state IN ('queued', 'retrying');
-- The push agencies, without reading the whole directory on every claim.
CREATE INDEX agencies_push_idx ON agencies (endpoint_url) WHERE endpoint_url IS NOT NULL;
