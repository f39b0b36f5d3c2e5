"""Benchmarks: a generator of realistic inventories with known structure, and the ``make bench`` harness."""
