-- The broker's vocabulary (axis.vocabulary) as CHECK constraints on the columns
-- that had none: an audit action, a delivery's kind, the door a refusal came by.
-- NOT VALID: adding them takes the table lock only for an instant and does not
-- scan the rows; 0012 validates them in a transaction of its own, which scans
-- without blocking writes.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'message.accept', 'message.refuse', 'message.deliver', 'message.ack',
    'delivery.dead', 'delivery.retry', 'delivery.discard',
    'agency.add', 'agency.suspend', 'agency.resume', 'agency.cert_add',
    'trust.anchor_add', 'trust.intermediate_add', 'trust.crl_add',
    'user.add', 'user.sign_in', 'user.sign_in_failed', 'user.locked', 'user.sign_out'
)) NOT VALID;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('edoc', 'status')) NOT VALID;
ALTER TABLE refusals ADD CONSTRAINT refusals_received_via_check
    CHECK (received_via IN ('api', 'vxp')) NOT VALID;
