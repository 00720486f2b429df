-- Federation (issue 16): other axes this one relays to, the OrganIds each
-- serves, the directories copied from them, and the hops that came in.

-- One row per peer axis. `name` is what `axis peer add` was given, which
-- should equal that axis's own AXIS_NAME: it is what X-Axis-Path and
-- tracking's `via` carry.
CREATE TABLE peers (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    url text NOT NULL,
    protocol text NOT NULL DEFAULT 'native' CHECK (protocol IN ('native', 'vxp')),
    -- The system id this axis presents to a VXP-only peer (its SDK's systemId).
    system_id text,
    -- The secret the peer presents when it calls this axis, issued once by
    -- `axis peer add`: encrypted (AES-GCM) like agency secrets, and found
    -- from a bearer by its HMAC lookup, without decrypting every row.
    inbound_secret_ciphertext bytea NOT NULL,
    inbound_secret_lookup bytea NOT NULL UNIQUE,
    -- The secret this axis presents when it calls the peer (`axis peer
    -- set-secret`); NULL until set: nothing is relayed to the peer before.
    outbound_secret_ciphertext bytea,
    directory_synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (protocol <> 'vxp' OR system_id IS NOT NULL)
);

-- The OrganIds a peer serves, as patterns (`*` for one segment, a lone `*`
-- for everything). `wildcards` orders routes: the fewest wins.
CREATE TABLE peer_routes (
    peer_name text NOT NULL REFERENCES peers (name) ON DELETE CASCADE,
    pattern text NOT NULL CHECK (pattern ~ '^(\*|[A-Za-z0-9_-]+)(\.(\*|[A-Za-z0-9_-]+))*$'),
    wildcards smallint NOT NULL CHECK (wildcards >= 0),
    PRIMARY KEY (peer_name, pattern)
);
CREATE INDEX peer_routes_order_idx ON peer_routes (wildcards, peer_name);

-- Each peer's directory as last synced: remote agencies, found by name on
-- the pages and the API, and known to intake so an unknown remote recipient
-- is refused at once. `served_by` is the axis that serves the agency (the
-- peer itself, or an axis behind it: the national axis relays its peers').
CREATE TABLE peer_directory (
    peer_name text NOT NULL REFERENCES peers (name) ON DELETE CASCADE,
    organ_id text NOT NULL,
    name text NOT NULL,
    parent_id text,
    served_by text NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (peer_name, organ_id)
);
CREATE INDEX peer_directory_organ_idx ON peer_directory (organ_id);
CREATE INDEX peer_directory_name_idx ON peer_directory (lower(name) text_pattern_ops);

-- A hop that came in: the idempotency key is (calling peer, origin, origin
-- message id), and the path and the calling peer say where transport events
-- for this message are reported back to.
CREATE TABLE relay_hops (
    peer_name text NOT NULL REFERENCES peers (name),
    origin text NOT NULL,
    origin_message_id text NOT NULL,
    message_id text NOT NULL UNIQUE REFERENCES messages (id),
    path text[] NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (peer_name, origin, origin_message_id)
);
-- Events from further on name the message by its origin's key.
CREATE INDEX relay_hops_origin_idx ON relay_hops (origin, origin_message_id);

-- A recipient beyond a peer is a delivery like any other, with mode 'relay'
-- and `via` the peer it goes through; its recipient and a relayed message's
-- sender are not in this axis's registry, so those references go.
ALTER TABLE deliveries ADD COLUMN via text REFERENCES peers (name);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_recipient_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_sender_id_fkey;
ALTER TABLE status_events DROP CONSTRAINT status_events_from_id_fkey;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_mode_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_mode_check
    CHECK (mode IN ('push', 'pull', 'relay')) NOT VALID;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_relay_has_via
    CHECK ((mode = 'relay') = (via IS NOT NULL)) NOT VALID;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_transport_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_transport_state_check
    CHECK (transport_state IN (
        'queued', 'relayed', 'delivered', 'acked', 'retrying', 'dead', 'discarded'
    )) NOT VALID;
ALTER TABLE messages DROP CONSTRAINT messages_received_via_check;
ALTER TABLE messages ADD CONSTRAINT messages_received_via_check
    CHECK (received_via IN ('api', 'vxp', 'relay')) NOT VALID;
ALTER TABLE refusals DROP CONSTRAINT refusals_received_via_check;
ALTER TABLE refusals ADD CONSTRAINT refusals_received_via_check
    CHECK (received_via IN ('api', 'vxp', 'relay')) NOT VALID;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'message.accept', 'message.refuse', 'message.deliver', 'message.ack',
    'message.relay',
    'delivery.dead', 'delivery.retry', 'delivery.discard',
    'agency.add', 'agency.suspend', 'agency.resume', 'agency.cert_add',
    'trust.anchor_add', 'trust.intermediate_add', 'trust.crl_add',
    'user.add', 'user.sign_in', 'user.sign_in_failed', 'user.locked', 'user.sign_out',
    'peer.add', 'peer.remove', 'peer.set_secret', 'peer.sync'
)) NOT VALID;
