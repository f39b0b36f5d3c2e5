"""The Hypothesis settings the inventory's property tests share."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(examples: int) -> settings:
    """``examples`` inputs per test, the same ones at every run; with ``FUZZ_EXAMPLES=N`` in the
    environment, N inputs drawn afresh (a long local run, or ``bench.fuzz``)."""
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", str(examples))),
        deadline=None,
        derandomize="FUZZ_EXAMPLES" not in os.environ,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
