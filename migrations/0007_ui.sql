-- People (clerks and operators), their sessions, and indexes for the pages.

CREATE TABLE users (
    username text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role text NOT NULL CHECK (role IN ('clerk', 'operator')),
    -- A clerk belongs to one agency; an operator to the whole axis.
    organ_id text REFERENCES agencies (organ_id),
    password_hash text NOT NULL,            -- argon2id, PHC string
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'clerk') = (organ_id IS NOT NULL))
);

-- Server-side sessions: the cookie carries a random token, the table only
-- its SHA-256, so a leaked table cannot be replayed as cookies.
CREATE TABLE ui_sessions (
    token_hash bytea PRIMARY KEY,
    username text NOT NULL REFERENCES users (username),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX ui_sessions_expiry_idx ON ui_sessions (expires_at);

-- Văn bản đến: a recipient's documents, newest first (keyset on id).
CREATE INDEX deliveries_recipient_idx ON deliveries (recipient_id, kind, id DESC);
-- Dashboard: backlog by state and failing endpoints without a full scan.
CREATE INDEX deliveries_unfinished_idx ON deliveries (transport_state)
    WHERE transport_state IN ('queued', 'retrying', 'dead');
-- Dashboard: documents per minute over the last hour.
CREATE INDEX messages_accepted_idx ON messages (accepted_at);
-- Dashboard: who still signs with SHA-1 (few rows, so a small partial index).
CREATE INDEX messages_sha1_idx ON messages (sender_id, accepted_at)
    WHERE signature_algorithm LIKE '%sha1';
