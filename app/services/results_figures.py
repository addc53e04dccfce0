"""Cockpit figures of the results (placeholder)."""
