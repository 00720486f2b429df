-- Agencies in transition (issue #14): an operator may let an agency whose
-- system cannot sign yet submit envelopes without an XML signature, until an
-- end date. No row: the agency must sign, as every agency by default.
CREATE TABLE agency_transitions (
    organ_id text PRIMARY KEY REFERENCES agencies (organ_id),
    until date NOT NULL,            -- last day such envelopes are accepted
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now()
);

-- The axis's seal over each message it accepted that way: a JWS beside the
-- envelope (the bytes are never changed), written in the transaction that
-- stores the message. The message's signature_algorithm says 'axis-seal'.
CREATE TABLE message_seals (
    message_id text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    sender_id text NOT NULL,
    seal text NOT NULL,
    sealed_at timestamptz NOT NULL
);
CREATE INDEX message_seals_sender_idx ON message_seals (sender_id);
