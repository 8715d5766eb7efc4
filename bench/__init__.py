"""Benchmarks of the repro engine (see bench_train.py and bench/README.md); not part of the installed package."""
