"""Benchmarks: `make bench` runs them; the README quotes their output."""
