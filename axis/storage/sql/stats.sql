-- Accountability statistics and deadlines (issue 8): the refresher that keeps
-- delivery_facts up to date, and the read models over it. Local days and
-- deadlines are in Asia/Ho_Chi_Minh; every duration is on the axis's clock.

-- name: stats_lock
-- One refresher at a time across processes; waits for a running one.
SELECT pg_advisory_xact_lock(hashtextextended('axis.stats.refresh', 0))

-- name: stats_try_lock
SELECT pg_try_advisory_xact_lock(hashtextextended('axis.stats.refresh', 0))

-- name: stats_state
SELECT calendar_key, refreshed_at FROM stats_state FOR UPDATE

-- name: stats_refreshed_at
SELECT refreshed_at FROM stats_state

-- name: stats_set_state
UPDATE stats_state SET calendar_key = $1, refreshed_at = now()

-- name: stats_clear_calendar
DELETE FROM stats_calendar

-- name: stats_fill_calendar
INSERT INTO stats_calendar (day, working, ordinal)
SELECT * FROM unnest($1::date[], $2::boolean[], $3::int[])

-- name: stats_low_mark
-- The newest mark old enough that every transaction that had taken an id
-- below it has committed (or given up) since: rows above it are re-read.
SELECT deliveries_max, statuses_max FROM stats_refresh_marks
WHERE taken_at <= now() - make_interval(secs => $1)
ORDER BY taken_at DESC
LIMIT 1

-- name: stats_current_max
SELECT (SELECT coalesce(max(id), 0) FROM deliveries) AS deliveries_max,
       (SELECT coalesce(max(id), 0) FROM status_events) AS statuses_max

-- name: stats_insert_mark
INSERT INTO stats_refresh_marks (taken_at, deliveries_max, statuses_max)
VALUES (now(), $1, $2)
ON CONFLICT (taken_at) DO NOTHING

-- name: stats_prune_marks
-- Keeps the newest mark older than the rescan window, and the younger ones.
DELETE FROM stats_refresh_marks
WHERE taken_at < (SELECT max(taken_at) FROM stats_refresh_marks
                  WHERE taken_at <= now() - make_interval(secs => $1))

-- name: stats_refresh_facts
-- Recomputes the facts of every delivery that may have changed: new edoc
-- deliveries (id above $1), those answered by new status events (id above
-- $2), and those not delivered at the last refresh that have been delivered
-- or discarded since (deliveries change those in place). $3 is the working
-- days allowed for the first status. Unchanged rows are left alone, so a
-- refresh writes only what moved.
WITH affected AS (
    SELECT d.id FROM deliveries d WHERE d.id > $1 AND d.kind = 'edoc'
    UNION
    SELECT d.id FROM status_events s
    JOIN deliveries d ON d.message_id = s.document_message_id AND d.recipient_id = s.from_id
    WHERE s.id > $2
    UNION
    SELECT f.delivery_id FROM delivery_facts f JOIN deliveries d ON d.id = f.delivery_id
    WHERE f.delivered_at IS NULL AND NOT f.discarded
      AND (d.delivered_at IS NOT NULL OR d.transport_state = 'discarded')
), targets AS (
    SELECT d.id, d.message_id, d.recipient_id, d.delivered_at, d.transport_state
    FROM deliveries d JOIN affected a ON a.id = d.id
), answers AS (
    SELECT s.document_message_id, s.from_id,
           min(s.received_at) FILTER (WHERE s.status_code IN ('01', '02', '03', '04', '05', '06'))
               AS answered_at,
           min(s.received_at) FILTER (WHERE s.status_code IN ('03', '04', '05', '06'))
               AS accepted_at,
           min(s.received_at) FILTER (WHERE s.status_code = '06') AS finished_at,
           min(s.received_at) FILTER (WHERE s.status_code = '02') AS rejected_at,
           min(s.received_at) FILTER (WHERE s.status_code = '15') AS withdrawn_at,
           count(*) AS status_count
    FROM status_events s
    WHERE s.document_message_id IN (SELECT message_id FROM targets)
    GROUP BY s.document_message_id, s.from_id
), computed AS (
    SELECT t.id AS delivery_id, t.message_id, m.sender_id, t.recipient_id,
           m.accepted_at AS sent_at,
           (m.accepted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS sent_day,
           NOT EXISTS (SELECT 1 FROM deliveries e
                       WHERE e.message_id = t.message_id AND e.id < t.id) AS first_of_message,
           t.delivered_at, t.transport_state = 'discarded' AS discarded, m.due_date,
           (m.due_date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' AS due_deadline,
           -- On a working day the clock runs from delivery: the same time of day
           -- N working days later. On any other day it starts at the next working
           -- day's midnight, so it ends as the N+1-th working day begins.
           CASE WHEN c.working
                THEN (w.day + ((t.delivered_at AT TIME ZONE 'Asia/Ho_Chi_Minh') - c.day))
                     AT TIME ZONE 'Asia/Ho_Chi_Minh'
                ELSE w.day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
           END AS receipt_deadline,
           a.answered_at, a.accepted_at, a.finished_at, a.rejected_at, a.withdrawn_at,
           least(a.finished_at, a.rejected_at, a.withdrawn_at) AS closed_at,
           coalesce(a.status_count, 0)::int AS status_count
    FROM targets t
    JOIN messages m ON m.id = t.message_id
    LEFT JOIN answers a ON a.document_message_id = t.message_id AND a.from_id = t.recipient_id
    LEFT JOIN stats_calendar c ON c.day = (t.delivered_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
    LEFT JOIN stats_calendar w
        ON w.working AND w.ordinal = c.ordinal + $3 + CASE WHEN c.working THEN 0 ELSE 1 END
)
INSERT INTO delivery_facts AS f (
    delivery_id, message_id, sender_id, recipient_id, sent_at, sent_day, first_of_message,
    delivered_at, discarded, due_date, due_deadline, receipt_deadline, answered_at, accepted_at,
    finished_at, rejected_at, withdrawn_at, closed_at, answer_seconds, accept_seconds,
    finish_seconds, status_count, next_deadline)
SELECT delivery_id, message_id, sender_id, recipient_id, sent_at, sent_day, first_of_message,
       delivered_at, discarded, due_date, due_deadline, receipt_deadline, answered_at,
       accepted_at, finished_at, rejected_at, withdrawn_at, closed_at,
       -- greatest() skips NULLs, so the CASE keeps "no such status" NULL, not 0.
       CASE WHEN answered_at - delivered_at IS NOT NULL
            THEN greatest(0, extract(epoch FROM answered_at - delivered_at))::float8 END,
       CASE WHEN accepted_at - delivered_at IS NOT NULL
            THEN greatest(0, extract(epoch FROM accepted_at - delivered_at))::float8 END,
       CASE WHEN finished_at - delivered_at IS NOT NULL
            THEN greatest(0, extract(epoch FROM finished_at - delivered_at))::float8 END,
       status_count,
       CASE WHEN NOT discarded THEN least(
           CASE WHEN answered_at IS NULL AND closed_at IS NULL THEN receipt_deadline END,
           CASE WHEN closed_at IS NULL THEN due_deadline END)
       END
FROM computed
ON CONFLICT (delivery_id) DO UPDATE SET
    delivered_at = EXCLUDED.delivered_at, discarded = EXCLUDED.discarded,
    receipt_deadline = EXCLUDED.receipt_deadline, answered_at = EXCLUDED.answered_at,
    accepted_at = EXCLUDED.accepted_at, finished_at = EXCLUDED.finished_at,
    rejected_at = EXCLUDED.rejected_at, withdrawn_at = EXCLUDED.withdrawn_at,
    closed_at = EXCLUDED.closed_at, answer_seconds = EXCLUDED.answer_seconds,
    accept_seconds = EXCLUDED.accept_seconds, finish_seconds = EXCLUDED.finish_seconds,
    status_count = EXCLUDED.status_count, next_deadline = EXCLUDED.next_deadline
WHERE (f.delivered_at, f.discarded, f.receipt_deadline, f.answered_at, f.accepted_at,
       f.finished_at, f.rejected_at, f.withdrawn_at, f.status_count, f.next_deadline)
      IS DISTINCT FROM
      (EXCLUDED.delivered_at, EXCLUDED.discarded, EXCLUDED.receipt_deadline,
       EXCLUDED.answered_at, EXCLUDED.accepted_at, EXCLUDED.finished_at, EXCLUDED.rejected_at,
       EXCLUDED.withdrawn_at, EXCLUDED.status_count, EXCLUDED.next_deadline)

-- name: stats_subtree
-- The agency and every unit whose parent chain leads to it (cycles stop).
WITH RECURSIVE subtree(organ_id) AS (
    SELECT $1::text
    UNION
    SELECT n.organ_id FROM stats_agency_nodes n JOIN subtree s ON n.parent_id = s.organ_id
)
SELECT array_agg(organ_id ORDER BY organ_id) AS organ_ids FROM subtree

-- name: stats_node
SELECT organ_id, name, parent_id, in_registry FROM stats_agency_nodes WHERE organ_id = $1

-- name: stats_roots
SELECT organ_id FROM stats_agency_nodes WHERE parent_id IS NULL ORDER BY organ_id

-- name: stats_children
SELECT organ_id FROM stats_agency_nodes WHERE parent_id = $1 ORDER BY organ_id

-- name: stats_all_nodes
SELECT organ_id FROM stats_agency_nodes ORDER BY organ_id

-- name: stats_custom_plans
-- A province's figures want index probes, the whole country's a scan: plan
-- each statistics query for its actual arguments, never generically.
SET LOCAL plan_cache_mode = force_custom_plan

-- name: stats_agencies
-- One row per agency of $4 for the documents sent from $1 to $2 (local days):
-- with $5 each row covers the agency's whole subtree, otherwise the agency
-- alone. $6, when given, lists every agency the rows can cover (a subtree):
-- the planner cannot tell from the recursive tree how few they are, and
-- with the list it reads their index entries instead of the whole period.
-- Percentiles are exact (percentile_disc: an observed duration).
WITH RECURSIVE tree(row_id, organ_id) AS (
    SELECT r, r FROM unnest($4::text[]) AS r
    UNION
    SELECT t.row_id, n.organ_id FROM tree t
    JOIN stats_agency_nodes n ON n.parent_id = t.organ_id
    WHERE $5
), sizes AS (
    SELECT row_id, count(*) AS agencies FROM tree GROUP BY row_id
), received AS (
    SELECT t.row_id,
           count(*) AS received,
           count(f.delivered_at) AS delivered,
           count(f.answered_at) AS answered,
           count(f.accepted_at) AS accepted,
           count(f.finished_at) AS finished,
           count(f.rejected_at) AS rejected,
           count(*) FILTER (WHERE NOT f.discarded
               AND f.receipt_deadline < coalesce(least(f.answered_at, f.closed_at), $3))
               AS overdue_receipt,
           count(*) FILTER (WHERE NOT f.discarded
               AND f.due_deadline < coalesce(f.closed_at, $3)) AS overdue_due_date,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.answer_seconds) AS to_01,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.accept_seconds) AS to_03,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.finish_seconds) AS to_06
    FROM tree t JOIN delivery_facts f ON f.recipient_id = t.organ_id
    WHERE f.sent_day BETWEEN $1 AND $2
      AND ($6::text[] IS NULL OR f.recipient_id = ANY($6::text[]))
    GROUP BY t.row_id
), sent AS (
    -- Counted per sender first: a count rolls up, so the tree joins thousands
    -- of senders instead of every document.
    SELECT t.row_id, sum(c.sent) AS sent
    FROM (SELECT f.sender_id, count(*) AS sent FROM delivery_facts f
          WHERE f.first_of_message AND f.sent_day BETWEEN $1 AND $2
            AND ($6::text[] IS NULL OR f.sender_id = ANY($6::text[]))
          GROUP BY f.sender_id) c
    JOIN tree t ON t.organ_id = c.sender_id
    GROUP BY t.row_id
), silent AS (
    SELECT t.row_id, count(*) AS silent
    FROM tree t
    WHERE EXISTS (SELECT 1 FROM delivery_facts f
                  WHERE f.recipient_id = t.organ_id AND f.sent_day BETWEEN $1 AND $2
                    AND f.delivered_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM delivery_facts f
                      WHERE f.recipient_id = t.organ_id AND f.status_count > 0)
    GROUP BY t.row_id
)
SELECT n.organ_id, n.name, n.parent_id, n.in_registry, z.agencies,
       coalesce(s.sent, 0) AS sent, coalesce(r.received, 0) AS received,
       coalesce(r.delivered, 0) AS delivered, coalesce(r.answered, 0) AS answered,
       coalesce(r.accepted, 0) AS accepted, coalesce(r.finished, 0) AS finished,
       coalesce(r.rejected, 0) AS rejected, coalesce(r.overdue_receipt, 0) AS overdue_receipt,
       coalesce(r.overdue_due_date, 0) AS overdue_due_date, r.to_01, r.to_03, r.to_06,
       coalesce(q.silent, 0) AS silent_agencies
FROM sizes z
JOIN stats_agency_nodes n ON n.organ_id = z.row_id
LEFT JOIN received r ON r.row_id = z.row_id
LEFT JOIN sent s ON s.row_id = z.row_id
LEFT JOIN silent q ON q.row_id = z.row_id
ORDER BY n.organ_id

-- name: stats_daily
-- Documents sent by and sent to the agencies of $3, per local day from $1 to $2.
WITH days AS (
    SELECT day::date FROM generate_series($1::date, $2::date, interval '1 day') AS day
), sent AS (
    SELECT sent_day, count(*) AS sent FROM delivery_facts
    WHERE sender_id = ANY($3::text[]) AND first_of_message AND sent_day BETWEEN $1 AND $2
    GROUP BY sent_day
), received AS (
    SELECT sent_day, count(*) AS received, count(delivered_at) AS delivered FROM delivery_facts
    WHERE recipient_id = ANY($3::text[]) AND sent_day BETWEEN $1 AND $2
    GROUP BY sent_day
)
SELECT d.day, coalesce(s.sent, 0) AS sent, coalesce(r.received, 0) AS received,
       coalesce(r.delivered, 0) AS delivered
FROM days d
LEFT JOIN sent s ON s.sent_day = d.day
LEFT JOIN received r ON r.sent_day = d.day
ORDER BY d.day

-- name: stats_daily_all
-- The same for the whole axis (operators, no subtree).
WITH days AS (
    SELECT day::date FROM generate_series($1::date, $2::date, interval '1 day') AS day
), counts AS (
    SELECT sent_day, count(*) FILTER (WHERE first_of_message) AS sent, count(*) AS received,
           count(delivered_at) AS delivered
    FROM delivery_facts WHERE sent_day BETWEEN $1 AND $2
    GROUP BY sent_day
)
SELECT d.day, coalesce(c.sent, 0) AS sent, coalesce(c.received, 0) AS received,
       coalesce(c.delivered, 0) AS delivered
FROM days d LEFT JOIN counts c ON c.sent_day = d.day
ORDER BY d.day

-- name: stats_silent
-- Agencies ($3, or all when NULL) that had documents delivered from $1 to $2
-- and have never sent a single status about any document. Grouped first, so
-- "never answered" is one index probe per agency, not per document.
WITH received AS (
    SELECT f.recipient_id, count(*) AS received, count(f.delivered_at) AS delivered,
           min(f.sent_at) AS first_sent_at, max(f.sent_at) AS last_sent_at
    FROM delivery_facts f
    WHERE f.sent_day BETWEEN $1 AND $2
      AND ($3::text[] IS NULL OR f.recipient_id = ANY($3::text[]))
    GROUP BY f.recipient_id
    HAVING count(f.delivered_at) > 0
)
SELECT r.recipient_id AS organ_id, n.name, n.parent_id, r.received, r.delivered,
       r.first_sent_at, r.last_sent_at
FROM received r
JOIN stats_agency_nodes n ON n.organ_id = r.recipient_id
WHERE NOT EXISTS (SELECT 1 FROM delivery_facts g
                  WHERE g.recipient_id = r.recipient_id AND g.status_count > 0)
ORDER BY r.delivered DESC, r.recipient_id

-- name: stats_overdue
-- Deliveries with a deadline passed and still open at $1, earliest first;
-- $2 senders and $3 recipients limit them (NULL: any); keyset after ($4, $5).
SELECT f.delivery_id, f.message_id, m.document_id, m.code_number, m.code_notation, m.subject,
       f.sender_id, coalesce(sa.name, '') AS sender_name,
       f.recipient_id, coalesce(ra.name, '') AS recipient_name,
       f.sent_at, f.delivered_at, f.due_date, f.due_deadline, f.receipt_deadline,
       f.answered_at, f.accepted_at, f.next_deadline,
       coalesce(f.answered_at IS NULL AND f.closed_at IS NULL AND f.receipt_deadline < $1,
                false) AS receipt_overdue,
       coalesce(f.closed_at IS NULL AND f.due_deadline < $1, false) AS due_date_overdue
FROM delivery_facts f
JOIN messages m ON m.id = f.message_id
LEFT JOIN agencies sa ON sa.organ_id = f.sender_id
LEFT JOIN agencies ra ON ra.organ_id = f.recipient_id
WHERE f.next_deadline < $1
  AND ($2::text[] IS NULL OR f.sender_id = ANY($2::text[]))
  AND ($3::text[] IS NULL OR f.recipient_id = ANY($3::text[]))
  AND ($4::timestamptz IS NULL OR (f.next_deadline, f.delivery_id) > ($4, $5::bigint))
ORDER BY f.next_deadline, f.delivery_id
LIMIT $6

-- name: stats_overdue_count
SELECT count(*) AS total,
       count(*) FILTER (WHERE answered_at IS NULL AND closed_at IS NULL
                          AND receipt_deadline < $1) AS receipt,
       count(*) FILTER (WHERE closed_at IS NULL AND due_deadline < $1) AS due_date
FROM delivery_facts
WHERE next_deadline < $1
  AND ($2::text[] IS NULL OR sender_id = ANY($2::text[]))
  AND ($3::text[] IS NULL OR recipient_id = ANY($3::text[]))
