"""Start the dashboard with ``streamlit run`` on a free port and wait until it answers.

Shared by the browser tests (tests/e2e) and the responsiveness benchmark (bench/dashboard_bench.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "streamlit_app.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_dashboard(env: Mapping[str, str | None], log: IO[bytes] | IO[str], *,
                      start_timeout: float = 60.0, started: Callable[[int], None] | None = None) -> Iterator[str]:
    """The dashboard running with the environment changed by ``env`` (None removes a variable);
    yields its URL and stops it afterwards. Raises RuntimeError when it does not start.
    ``started`` is called with the server's process id once it answers."""
    port = free_port()
    environment = dict(os.environ)
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start on {url}")
            time.sleep(0.2)
        if started is not None:
            started(process.pid)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
