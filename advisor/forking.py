"""Work done in a forked copy of this process, for the stages where the second core would idle.

After the inventory is resolved, the analysis runs in one process until the clusters are known
(then the worker pool takes the stability runs and the metrics), and again while the proposals are
worked out. Work that needs nothing but what this process already holds, and gives back little (the
JSON of the inventory's parts, or of the services once their metrics are known), can run in a
forked child meanwhile: the child sees the inventory without it being pickled, and sends back
only its answer, through an anonymous memory file. The parent's copy-on-write cost was measured as
negligible (a full analysis at 20,000 services beside an idle forked child: the same CPU time, to
within a few percent of noise). The child's own cost is the pages it touches: it copies them (about
40% of the heap at 2,000 services, by ``/proc/PID/smaps_rollup``), so the memory of the two together
is more than the parent's alone.

Only on Linux (``os.fork`` and ``os.memfd_create``), and only for callers that ask; anywhere else,
or when the fork or the child fails, the work is done in this process when its answer is needed.
The answer is the same either way: the child runs the very function on the very data.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import pickle
import select
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")

#: Whether work can go to a forked child here.
CAN_FORK = sys.platform == "linux" and hasattr(os, "fork") and hasattr(os, "memfd_create")


#: Seconds :meth:`Forked.result` waits for a child that has not finished when its answer is needed.
#: The child's work is a fraction of what the parent does meanwhile (at 20,000 services, about 1 s
#: of the 4 s from the graph to the store for the inventory's JSON, 0.7 s of 0.9 s of proposals for
#: the services'), so a child still running this long after is stuck, not slow.
RESULT_TIMEOUT = 60.0


def _exited_within(pid: int, timeout: float) -> bool:
    """Whether child ``pid`` has exited (or exits within ``timeout`` seconds), without reaping it;
    True where that cannot be watched (no pidfd), so that the caller waits as before."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return True
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(max(timeout, 0.0) * 1000))
    finally:
        os.close(fd)


# Python 3.12+ warns that forking a process with threads (the worker pool's, a server's) may deadlock
# a child that takes a lock one of them held; the child here only runs ``fn`` on data it already has
# and leaves with os._exit, touching none of them. Set once here: ``warnings.catch_warnings`` around
# each fork would swap the process's filters under the feet of its other threads.
warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning,
                        module=__name__)


def _on_its_own(keep: int) -> None:
    """In a forked child, before its work: the signals that stop a process do so again (the parent's
    handlers are not the child's: a server's would have it shut down a server it is not), and it
    holds none of the parent's descriptors but ``keep`` and the standard streams (a server's
    listening socket and connections stay the server's alone)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2 and fd != keep:
                with contextlib.suppress(OSError):  # the listing's own descriptor, closed already
                    os.close(fd)


class Forked(Generic[_T]):
    """``fn(*args)`` started in a forked child; :meth:`result` gives its answer (computed here if
    the child could not give it), :meth:`cancel` drops it. One of the two must be called.

    ``fn`` works on what it is given in memory: the child holds no file or socket of the parent's
    (see :func:`_on_its_own`). With ``nice``, the child runs at that nice value (``os.nice``): for
    work whose answer is wanted later than what the parent does meanwhile."""

    def __init__(self, fn: Callable[..., _T], *args: Any, nice: int = 0) -> None:
        self._fn, self._args = fn, args
        self._pid: int | None = None
        self._fd: int | None = None
        if not CAN_FORK:
            return
        try:
            fd = os.memfd_create("sprawl-advisor-result", os.MFD_CLOEXEC)
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            return
        if pid == 0:  # the child: answer, and leave without running any exit handler of the parent's
            status = 1
            try:
                _on_its_own(fd)
                if nice:
                    os.nice(nice)
                for chunk in self._encoded(fn(*args)):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
                status = 0
            finally:
                os._exit(status)
        self._pid, self._fd = pid, fd

    def finished(self) -> bool:
        """Whether the child has exited (or there is none: the work is then done when asked for)."""
        return self._pid is None or _exited_within(self._pid, 0)

    def result(self, timeout: float = RESULT_TIMEOUT) -> _T:
        """The child's answer; computed here instead if the child failed, or has not finished
        ``timeout`` seconds after this was asked (then it is killed: a child stuck on a lock that
        another thread of the parent held at the fork never finishes)."""
        pid, fd = self._pid, self._fd
        if pid is None or fd is None:
            return self._fn(*self._args)
        if not _exited_within(pid, timeout):
            self.cancel()
            return self._fn(*self._args)
        try:
            _, status = os.waitpid(pid, 0)  # if interrupted, the child is still ours to cancel()
        except ChildProcessError:  # reaped by someone else: its answer cannot be trusted
            status = -1
        self._pid = self._fd = None
        try:
            if status != -1 and os.waitstatus_to_exitcode(status) == 0:
                return self._decoded(fd)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):  # ValueError: an empty answer
            pass
        finally:
            os.close(fd)
        return self._fn(*self._args)  # the child failed (killed for memory, say): here instead

    def _encoded(self, answer: Any) -> Iterator[bytes]:
        """In the child: what it writes to the memory file for ``answer``."""
        yield pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)

    def _decoded(self, fd: int) -> _T:
        """In the parent: the answer the child wrote to memory file ``fd`` (raises ValueError,
        EOFError or UnpicklingError on one it did not finish)."""
        # unpickled from the memory file's own pages: reading it into bytes first copied the
        # answer once more
        with mmap.mmap(fd, os.fstat(fd).st_size, prot=mmap.PROT_READ) as answer:
            value: _T = pickle.loads(answer)  # noqa: S301 - written by our own child
        return value

    def cancel(self) -> None:
        pid, fd = self._pid, self._fd
        self._pid = self._fd = None
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        if fd is not None:
            os.close(fd)


#: What :class:`ForkedParts` gives back: named byte strings, as views of the child's memory file.
Parts = Mapping[str, bytes | memoryview]


class ForkedParts(Forked[Parts | None]):
    """:class:`Forked` for a function that answers with named byte strings (or None): each comes
    back as a view of the memory file the child wrote, not as a copy. Unpickling the JSON parts of
    a report of 20,000 services (90 MB) copied every byte of them once more (0.05 s) before they
    were copied into the report's JSON; the views are copied only there.

    The file holds the lengths (an 8-byte length, then a JSON list of ``[name, length]``, or
    ``null`` for None), then the byte strings one after another."""

    def _encoded(self, answer: Any) -> Iterator[bytes]:
        if answer is None:
            header = b"null"
        else:
            header = json.dumps([[name, len(value)] for name, value in answer.items()]).encode()
        yield len(header).to_bytes(8, "little") + header
        if answer is not None:
            yield from answer.values()

    def _decoded(self, fd: int) -> Parts | None:
        # the views keep the mapping alive (and the mapping the file), after the descriptor is closed
        view = memoryview(mmap.mmap(fd, os.fstat(fd).st_size, prot=mmap.PROT_READ))
        length = int.from_bytes(view[:8], "little")
        header = json.loads(bytes(view[8:8 + length]))
        if header is None:
            return None
        parts: dict[str, bytes | memoryview] = {}
        offset = 8 + length
        for name, size in header:
            if offset + size > len(view):
                raise EOFError("the child's answer ends early")
            parts[name] = view[offset:offset + size]
            offset += size
        return parts
