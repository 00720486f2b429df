-- Queries that keep strangers cheap: door refusals, fleet-wide rate windows,
-- agencies' allowances and sign-in delays (issue #15).

-- name: door_refusals_write
-- A batch of at most a few hundred refusals into the fixed slots, in turn.
INSERT INTO door_refusals (slot, refused_at, code, received_via, source, detail)
SELECT (nextval('door_refusal_slots') % 1000)::integer, t.refused_at, t.code, t.received_via,
       t.source, t.detail
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[])
     AS t(refused_at, code, received_via, source, detail)
ON CONFLICT (slot) DO UPDATE SET
    refused_at = excluded.refused_at, code = excluded.code,
    received_via = excluded.received_via, source = excluded.source, detail = excluded.detail

-- name: door_refusals_recent
SELECT refused_at, code, received_via, source, detail FROM door_refusals
ORDER BY refused_at DESC LIMIT $1

-- name: rate_windows_add
-- Adds this node's counts of one window and answers the fleet's totals.
INSERT INTO rate_windows (key, window_start, count)
SELECT t.key, $1, t.count FROM unnest($2::text[], $3::bigint[]) AS t(key, count)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_windows.count + excluded.count
RETURNING key, count

-- name: rate_windows_prune
DELETE FROM rate_windows WHERE window_start < $1

-- name: agency_allowances_all
SELECT organ_id, requests_per_minute FROM agency_allowances

-- name: agency_allowance_set
INSERT INTO agency_allowances (organ_id, requests_per_minute) VALUES ($1, $2)
ON CONFLICT (organ_id) DO UPDATE SET requests_per_minute = excluded.requests_per_minute,
                                     updated_at = now()

-- name: agency_allowance_clear
DELETE FROM agency_allowances WHERE organ_id = $1

-- name: sign_in_wait
-- Seconds the (user name, source) must still wait before its next attempt; NULL: none.
SELECT greatest(extract(epoch FROM next_attempt_at - now()), 0)::float8 AS wait
FROM sign_in_failures WHERE username = $1 AND source = $2 AND next_attempt_at > now()

-- name: sign_in_record_failure
-- One more failure; past $3 free ones the next attempt waits $4 * 2^(n - $3 - 1)
-- seconds, at most $5. Answers the failures so far and the wait.
INSERT INTO sign_in_failures (username, source, failures, next_attempt_at)
VALUES ($1, $2, 1, now())
ON CONFLICT (username, source) DO UPDATE SET
    failures = sign_in_failures.failures + 1,
    last_failure_at = now(),
    next_attempt_at = CASE WHEN sign_in_failures.failures + 1 > $3
        THEN now() + make_interval(secs => least(
            $4 * power(2, least(sign_in_failures.failures - $3, 30))::float8, $5))
        ELSE now() END
RETURNING failures, greatest(extract(epoch FROM next_attempt_at - now()), 0)::float8 AS wait

-- name: sign_in_clear
DELETE FROM sign_in_failures WHERE username = $1 AND source = $2

-- name: sign_in_forget_old
-- Failures nobody repeated for a day are forgotten.
DELETE FROM sign_in_failures WHERE last_failure_at < now() - interval '1 day'
