"""Test-wide settings: keep the per-user parse cache out of the tests' way."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# The CLI reuses parsed files from $XDG_CACHE_HOME/sprawl-advisor; tests use a folder of their own
# (set before any test module imports the advisor, and inherited by CLI subprocesses).
_CACHE_HOME = tempfile.mkdtemp(prefix="advisor-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, ignore_errors=True)
