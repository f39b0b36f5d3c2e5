"""Test-wide settings: keep the per-user parse cache out of the tests' way."""

from __future__ import annotations

import os
import tempfile

# The CLI reuses parsed files from $XDG_CACHE_HOME/sprawl-advisor; tests use a folder of their own
# (set before any test module imports the advisor, and inherited by CLI subprocesses).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="advisor-test-cache-")
