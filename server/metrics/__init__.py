"""Metrics and guardrails pages and API."""
