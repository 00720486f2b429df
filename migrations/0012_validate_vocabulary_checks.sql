-- Validates 0011's constraints: a scan under SHARE UPDATE EXCLUSIVE, so
-- messages, deliveries and audit entries keep being written meanwhile.
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_action_check;
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_kind_check;
ALTER TABLE refusals VALIDATE CONSTRAINT refusals_received_via_check;
