"""Benchmarks of hq-ingest: `python -m bench` (or `make bench`) runs them all.

Every figure is printed beside a baseline measured in the same run on the same machine
(a bare FastAPI endpoint, a no-op Dramatiq chain, a direct SQL lookup, an idle worker), so
the ratios mean something on a shared, noisy machine. Nothing here is collected by pytest.
"""
