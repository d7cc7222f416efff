"""Benchmark harness for Equity Atlas: `python -m bench [--quick]` (see bench/run.py)."""
