-- The broker's tables: registry, trust, messages, deliveries, statuses, audit.

CREATE TABLE agencies (
    organ_id text PRIMARY KEY CHECK (organ_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    name text NOT NULL,
    parent_id text,
    system_id text NOT NULL UNIQUE,
    -- The secret is needed in clear for HMAC checks (VXP), so it is kept
    -- encrypted (AES-GCM under the configured key), never hashed or plain.
    secret_ciphertext bytea NOT NULL,
    -- HMAC-SHA256 of the secret under the configured key: finds the agency
    -- of a bearer token with one index probe, without decrypting every row.
    secret_lookup bytea NOT NULL UNIQUE,
    endpoint_url text,
    legacy_sha1 boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    email text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT 'operator',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_parent_idx ON agencies (parent_id, organ_id);
CREATE INDEX agencies_name_idx ON agencies (lower(name) text_pattern_ops);

CREATE TABLE agency_certificates (
    fingerprint text PRIMARY KEY,           -- SHA-256 of the DER, lowercase hex
    organ_id text NOT NULL REFERENCES agencies (organ_id),
    pem text NOT NULL,
    subject text NOT NULL,
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_certificates_organ_idx ON agency_certificates (organ_id);

CREATE TABLE trust_certificates (
    fingerprint text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('anchor', 'intermediate')),
    pem text NOT NULL,
    subject text NOT NULL,
    not_after timestamptz NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE revocation_lists (
    issuer text PRIMARY KEY,                -- one current CRL per issuer
    der bytea NOT NULL,
    this_update timestamptz NOT NULL,
    next_update timestamptz,
    added_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped on every change to trust anchors, CRLs or agency certificates, so
-- each process knows when its cached trust store and chain results are stale.
CREATE SEQUENCE trust_generation;

CREATE TABLE messages (
    id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('edoc', 'status')),
    sender_id text NOT NULL REFERENCES agencies (organ_id),
    document_id text NOT NULL,              -- DocumentId; for a status, the one it answers
    body bytea NOT NULL,
    sha256 bytea NOT NULL,
    size integer NOT NULL,
    subject text NOT NULL DEFAULT '',
    code_number text NOT NULL DEFAULT '',
    code_notation text NOT NULL DEFAULT '',
    priority smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
    business_type smallint,                 -- 0 new, 1 revocation, 2 update, 3 replacement
    acts_on_message_id text REFERENCES messages (id),
    status_code text,
    description text NOT NULL DEFAULT '',
    status_at timestamptz,
    answers_message_id text REFERENCES messages (id),
    due_date date,
    signer_fingerprint text NOT NULL,
    signature_algorithm text NOT NULL,
    received_via text NOT NULL DEFAULT 'api' CHECK (received_via IN ('api', 'vxp')),
    accepted_at timestamptz NOT NULL DEFAULT now()
);
-- Base64 attachments do not compress: storing uncompressed saves the failed
-- compression attempt (measured ~500 µs -> ~100-230 µs per 20 KB insert).
ALTER TABLE messages ALTER COLUMN body SET STORAGE EXTERNAL;
-- Identical bytes from the same sender are the same submission.
CREATE UNIQUE INDEX messages_sender_sha256_idx ON messages (sender_id, sha256);
-- One document per (sender, DocumentId): different bytes are a conflict.
CREATE UNIQUE INDEX messages_sender_document_idx ON messages (sender_id, document_id)
    WHERE kind = 'edoc';
CREATE INDEX messages_sender_accepted_idx ON messages (sender_id, accepted_at DESC, id);
CREATE INDEX messages_answers_idx ON messages (answers_message_id) WHERE answers_message_id IS NOT NULL;

CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    message_id text NOT NULL REFERENCES messages (id),
    recipient_id text NOT NULL REFERENCES agencies (organ_id),
    kind text NOT NULL,                     -- copied from the message: inbox filters on it
    mode text NOT NULL CHECK (mode IN ('push', 'pull')),
    transport_state text NOT NULL DEFAULT 'queued'
        CHECK (transport_state IN ('queued', 'delivered', 'acked', 'retrying', 'dead')),
    priority smallint NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text,
    business_status text,                   -- latest status code from this recipient
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    acked_at timestamptz,
    ack_result text,
    ack_reason text,
    UNIQUE (message_id, recipient_id)
);
-- The pull inbox: what a recipient has not acknowledged yet.
CREATE INDEX deliveries_inbox_idx ON deliveries (recipient_id, kind, id)
    WHERE transport_state IN ('queued', 'delivered');
-- Push work that is due.
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at, priority DESC)
    WHERE mode = 'push' AND transport_state IN ('queued', 'retrying');
CREATE INDEX deliveries_dead_idx ON deliveries (id) WHERE transport_state = 'dead';

-- Business statuses (receipts) as they arrive: the timeline clerks watch.
CREATE TABLE status_events (
    id bigserial PRIMARY KEY,
    document_message_id text NOT NULL REFERENCES messages (id),
    status_message_id text NOT NULL REFERENCES messages (id),
    from_id text NOT NULL REFERENCES agencies (organ_id),
    status_code text NOT NULL,
    description text NOT NULL DEFAULT '',
    status_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_events_document_idx ON status_events (document_message_id, id);

-- Every refusal, with its stable code, for operators and for the sender.
CREATE TABLE refusals (
    id bigserial PRIMARY KEY,
    organ_id text,
    code text NOT NULL,
    http_status smallint NOT NULL,
    detail text NOT NULL,
    sha256 bytea,
    received_via text NOT NULL DEFAULT 'api',
    refused_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refusals_at_idx ON refusals (refused_at);

-- Append-only and hash-chained: each row's hash covers the previous row's
-- hash and its own content, so a changed or removed row breaks the chain.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    previous_hash bytea NOT NULL,
    hash bytea NOT NULL
);
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
