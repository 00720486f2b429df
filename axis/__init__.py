"""The broker: registry, intake, routing, delivery, tracking, audit and storage."""
