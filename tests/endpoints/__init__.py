"""Tests of the HTTP surfaces."""
