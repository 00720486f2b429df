-- Accountability statistics and deadlines (issue 8): one row of facts per
-- delivered document (edoc delivery), kept up to date from deliveries,
-- messages and status_events by the stats refresher (axis/stats_refresh.py),
-- so the statistics pages read one narrow table instead of joining the
-- tracking tables at every request. Nothing here is written by intake.

-- The working-day calendar deadlines are counted in, rebuilt by the refresher
-- whenever the configured holidays change.
CREATE TABLE stats_calendar (
    day date PRIMARY KEY,
    working boolean NOT NULL,
    -- Working days from the calendar's first day up to and including this one.
    ordinal integer NOT NULL
);
-- "The n-th working day" is one probe.
CREATE UNIQUE INDEX stats_calendar_working_idx ON stats_calendar (ordinal) WHERE working;

CREATE TABLE delivery_facts (
    delivery_id bigint PRIMARY KEY,         -- deliveries.id
    message_id text NOT NULL,
    sender_id text NOT NULL,
    recipient_id text NOT NULL,
    sent_at timestamptz NOT NULL,           -- messages.accepted_at
    sent_day date NOT NULL,                 -- its day in Asia/Ho_Chi_Minh
    -- One delivery per document carries the "sent" count (documents, not copies).
    first_of_message boolean NOT NULL,
    delivered_at timestamptz,
    discarded boolean NOT NULL DEFAULT false,
    due_date date,
    due_deadline timestamptz,               -- end of the DueDate, local time
    receipt_deadline timestamptz,           -- delivered_at + N working days
    -- The first status of the recipient (axis clock: status_events.received_at)
    -- reaching each stage: 01 or later (or 02), 03 or later, 06; 02; 15.
    answered_at timestamptz,
    accepted_at timestamptz,
    finished_at timestamptz,
    rejected_at timestamptz,
    withdrawn_at timestamptz,
    closed_at timestamptz,                  -- least of finished, rejected, withdrawn
    -- Seconds from delivery to each stage (never negative), for the percentiles.
    answer_seconds double precision,
    accept_seconds double precision,
    finish_seconds double precision,
    status_count integer NOT NULL DEFAULT 0,
    -- The earliest deadline still open (NULL when none): overdue iff < now().
    next_deadline timestamptz
);
CREATE INDEX delivery_facts_day_idx ON delivery_facts (sent_day);
CREATE INDEX delivery_facts_recipient_day_idx ON delivery_facts (recipient_id, sent_day);
CREATE INDEX delivery_facts_sender_day_idx ON delivery_facts (sender_id, sent_day);
-- Rows the refresher looks at again until their document is delivered.
CREATE INDEX delivery_facts_pending_idx ON delivery_facts (delivery_id)
    WHERE delivered_at IS NULL AND NOT discarded;
-- Overdue lists: all, per sender, per recipient, earliest deadline first.
CREATE INDEX delivery_facts_open_idx ON delivery_facts (next_deadline, delivery_id)
    WHERE next_deadline IS NOT NULL;
CREATE INDEX delivery_facts_open_sender_idx ON delivery_facts (sender_id, next_deadline, delivery_id)
    WHERE next_deadline IS NOT NULL;
CREATE INDEX delivery_facts_open_recipient_idx
    ON delivery_facts (recipient_id, next_deadline, delivery_id)
    WHERE next_deadline IS NOT NULL;
-- "Has this agency ever sent a status?" is one probe.
CREATE INDEX delivery_facts_answering_idx ON delivery_facts (recipient_id) WHERE status_count > 0;

-- Rows of the statistics: registered agencies, and parents that are named by
-- registered units but not registered themselves (legacy data), so a
-- province's units still roll up under the province.
CREATE VIEW stats_agency_nodes AS
SELECT organ_id, name, parent_id, true AS in_registry FROM agencies
UNION ALL
SELECT DISTINCT a.parent_id, '', NULL::text, false FROM agencies a
WHERE a.parent_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM agencies p WHERE p.organ_id = a.parent_id);

-- Where each refresh stood (highest delivery and status event ids it saw), so
-- the next one reads only what is newer than a mark old enough that no
-- transaction that started before it can still be committing.
CREATE TABLE stats_refresh_marks (
    taken_at timestamptz PRIMARY KEY,
    deliveries_max bigint NOT NULL,
    statuses_max bigint NOT NULL
);

CREATE TABLE stats_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    calendar_key text NOT NULL DEFAULT '',
    refreshed_at timestamptz
);
INSERT INTO stats_state DEFAULT VALUES;
