"""Benchmarks on a generated dataset (see bench/README.md)."""
