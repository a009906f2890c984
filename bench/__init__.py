"""Benchmarks: Scaleboard against a bare websockets relay, run with ``python -m bench``."""
