-- Validates 0019's constraints in a transaction of their own: the scan takes
-- a lock that lets writes go on, where validating inside 0019 would have held
-- its table locks for the whole scan.
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_mode_check;
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_relay_has_via;
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_transport_state_check;
ALTER TABLE messages VALIDATE CONSTRAINT messages_received_via_check;
ALTER TABLE refusals VALIDATE CONSTRAINT refusals_received_via_check;
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_action_check;
