"""Benchmarks of capex-monitor (`make bench`); results go to docs/PERFORMANCE.md."""
