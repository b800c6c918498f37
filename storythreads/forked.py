"""Work done in a forked child process while this one goes on.

Most of a run is single-threaded Python, so on a machine of two cores one core idles
while the other threads the posts. A ``Forked`` child takes a piece of work off this
process: it starts as a copy of this process (copy-on-write, so nothing is pickled to
start it), may ``prepare`` something first (load a model) while it waits for its
arguments, runs the work, sends back the value or the exception, and exits without
running this process's exit handlers. Used for report files (reports/files.py) and
thread names (pipeline).

Only on Linux, and not once Ray runs in this process (its threads and sockets do not
survive a fork): see ``can_fork``. Callers fall back to doing the work here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


def can_fork() -> bool:
    """Whether work may go to a forked child here: on Linux (macOS's system libraries
    are not safe to use in a forked child, which is why Python spawns there), and not
    once Ray runs in this process."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and "ray" not in sys.modules


class Forked:
    """``work(*args)`` (or ``work(prepare(), *args)``) in a forked child.

    The child forks at once and runs ``prepare()``, if given, right away; ``send(*args)``
    passes the arguments (pickled, written from a thread so that a child still preparing
    never blocks this process) and ``result()`` waits for the answer: the value, or the
    child's exception raised here. A child that dies without answering (killed for memory)
    is an ``OSError`` naming ``what``. ``close()`` stops waiting for it.
    """

    def __init__(
        self,
        work: Callable[..., Any],
        prepare: Callable[[], Any] | None = None,
        what: str = "background work",
    ):
        self.what = what
        args_read, self._args_write = os.pipe()
        self._answer_read, answer_write = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(self._args_write)
            os.close(self._answer_read)
            _child(work, prepare, args_read, answer_write, parent)
        os.close(args_read)
        os.close(answer_write)
        self._owner = parent  # another fork of that process must not stop this child
        self._sender: threading.Thread | None = None
        self._outcome: tuple[bool, Any] | None = None

    def send(self, *args: Any) -> None:
        """Hand the child its arguments (once)."""
        data = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        fd, self._args_write = self._args_write, -1

        def write() -> None:
            with contextlib.suppress(OSError), os.fdopen(fd, "wb") as fh:
                fh.write(data)  # an OSError: the child died; result() says so

        self._sender = threading.Thread(target=write, name="forked-send", daemon=True)
        self._sender.start()

    def result(self) -> Any:
        """Wait for the child's answer: its value, or its exception raised here."""
        if self._outcome is None:
            if self._args_write >= 0:  # never sent: the child gets end-of-file
                os.close(self._args_write)
                self._args_write = -1
            with os.fdopen(self._answer_read, "rb") as fh:
                data = fh.read()
            if self._sender is not None:
                self._sender.join()
            _, status = os.waitpid(self.pid, 0)
            if data:
                self._outcome = pickle.loads(data)
            else:
                self._outcome = (False, OSError(f"{self.what} stopped (wait status {status})"))
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the child if it still runs, and reap it (nothing it does is wanted now)."""
        if self._outcome is None and os.getpid() == self._owner:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.result()

    def __del__(self) -> None:
        # a child nobody asked for its answer (the caller failed in between) is stopped
        with contextlib.suppress(Exception):
            self.close()


def _child(
    work: Callable[..., Any],
    prepare: Callable[[], Any] | None,
    args_read: int,
    answer_write: int,
    parent: int,
) -> None:
    status = 1
    try:
        # A collection here would walk every object inherited from the parent and write
        # to each one's header, copying the parent's heap page by page (copy-on-write):
        # they are left out of collections; the child's own objects are collected
        gc.freeze()
        die_with_parent(parent)
        try:
            prepared = prepare() if prepare is not None else None
            with os.fdopen(args_read, "rb") as fh:
                data = fh.read()
            if not data:  # the parent gave up before sending
                os._exit(0)
            args = pickle.loads(data)
            value = work(prepared, *args) if prepare is not None else work(*args)
            answer, status = (True, value), 0
        except BaseException as exc:  # noqa: BLE001 -- raised again in the parent
            answer = (False, _picklable(exc))
        with os.fdopen(answer_write, "wb") as fh:
            fh.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(status)


def _picklable(exc: BaseException) -> BaseException:
    """The exception, or one with its message when it cannot be pickled."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this child when ``parent`` dies (``kill -9`` included), so
    no orphan goes on working or holding the store's lock file. Elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
