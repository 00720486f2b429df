"""Helpers shared by tests: databases, servers, clients."""
