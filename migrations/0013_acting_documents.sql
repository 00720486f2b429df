-- Revocations, updates and replacements as agencies' systems send them (issue #14).
--
-- A revocation or update may repeat the DocumentId of the document it acts on
-- (that is how it names it), so such a message is flagged and left out of the
-- one-document-per-(sender, DocumentId) index: the original keeps the
-- DocumentId, and a plain new document repeating it is still a conflict.
ALTER TABLE messages ADD COLUMN repeats_acted_on boolean NOT NULL DEFAULT false;
-- DocumentId first: the same index answers "this sender's document" and "whose
-- document is this" (an acting document naming another agency's document).
DROP INDEX messages_sender_document_idx;
CREATE UNIQUE INDEX messages_sender_document_idx ON messages (document_id, sender_id)
    WHERE kind = 'edoc' AND NOT repeats_acted_on;

-- What each acting document acts on: a replacement may replace several
-- documents, each for its own recipients (ReplacementInfo/OrganIdList).
-- ``recipients``: whose copies of the target it revokes, updates or replaces.
-- messages.acts_on_message_id keeps its meaning: the first document acted on.
CREATE TABLE document_actions (
    acting_message_id text NOT NULL REFERENCES messages (id),
    target_message_id text NOT NULL REFERENCES messages (id),
    business_type smallint NOT NULL CHECK (business_type IN (1, 2, 3)),
    recipients text[] NOT NULL,
    acted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (acting_message_id, target_message_id)
);
CREATE INDEX document_actions_target_idx ON document_actions (target_message_id, acted_at);

-- The links made before this table, with the acting document's recipients.
INSERT INTO document_actions (acting_message_id, target_message_id, business_type,
                              recipients, acted_at)
SELECT m.id, m.acts_on_message_id, m.business_type,
       ARRAY(SELECT d.recipient_id FROM deliveries d WHERE d.message_id = m.id ORDER BY d.id),
       m.accepted_at
FROM messages m
WHERE m.acts_on_message_id IS NOT NULL AND m.business_type IN (1, 2, 3);
