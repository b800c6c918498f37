"""Writing report files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..forked import Forked, can_fork

Chunks = Iterable[str] | bytes


def remove_stale_temp_files(out: Path, age_s: float = 3600.0) -> None:
    """Temp files a killed run left behind (SIGKILL skips cleanup); only old ones, since a
    run writing to the same folder right now owns its fresh ones."""
    now = time.time()
    for tmp in out.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > age_s:
                tmp.unlink()


def _stage(path: Path, chunks: Chunks, durable: bool = True) -> str:
    """Write ``chunks`` (strings, as UTF-8; or bytes) to a synced temp file beside ``path``;
    return its name.

    Chunks are written as they come, so a report of hundreds of megabytes never has to be
    one string in memory. On any error the temp file is removed.
    """
    fd, tmp = _temp_beside(path)
    try:
        _write(fd, chunks, durable)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _temp_beside(path: Path) -> tuple[int, str]:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    if hasattr(os, "fchmod"):  # mkstemp makes the file 0600; a report is read by others too
        os.fchmod(fd, 0o644)
    return fd, tmp


_BATCH_CHARS = 1 << 20  # characters joined before each write


def _write(fd: int, chunks: Chunks, durable: bool = True) -> None:
    """Write ``chunks`` to ``fd``, sync (if ``durable``) and close it."""
    with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
        if isinstance(chunks, bytes):
            fh.write(chunks)
        else:  # templates yield many tiny strings, exports large blocks: join about
            batch: list[str] = []  # a megabyte at a time, so memory stays flat either way
            size = 0
            for chunk in chunks:
                batch.append(chunk)
                size += len(chunk)
                if size >= _BATCH_CHARS:
                    fh.write("".join(batch).encode("utf-8"))
                    batch, size = [], 0
            fh.write("".join(batch).encode("utf-8"))
        fh.flush()
        if durable:
            os.fsync(fh.fileno())


class _ForkedStage:
    """``_stage(path, make())`` in a forked child (``forked.Forked``), beside whatever this
    process does next. This process makes the temp file, so it can remove it whatever
    becomes of the child."""

    def __init__(self, path: Path, make: Callable[[], Chunks]):
        fd, self.tmp = _temp_beside(path)
        try:
            self._child = Forked(lambda: _write(fd, make()), what=f"rendering {path.name}")
        finally:
            os.close(fd)  # the child has its own copy
        self._child.send()

    def result(self) -> str:
        """Wait for the child: the staged temp file's name, or the child's exception."""
        self._child.result()
        return self.tmp

    def abandon(self) -> None:
        """Stop the child and remove its temp file (this process is failing anyway)."""
        self._child.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def _given(chunks: Chunks) -> Callable[[], Chunks]:
    """A function returning ``chunks``."""
    return lambda: chunks


def write_all_atomic(
    files: Iterable[tuple[Path, Chunks | Callable[[], Chunks]]],
    forked: Iterable[Path] = (),
    durable: bool = True,
) -> None:
    """Stage every file first, then rename each over its target, in the given order.

    Readers see each file old or new, never half of it; if producing any file fails, no
    target has been touched and every temp file is gone. ``chunks`` may be a function that
    makes them. Files named in ``forked`` are staged in forked children (``can_fork``)
    while this process stages the others: rendering is CPU work in pure Python, so the
    reports of a large run are written in the time of the slowest one, not of all of them.
    ``durable=False`` skips each file's fsync (many small files; a crash may leave one
    empty, never half written).
    """
    files = list(files)
    forked = set(forked) & {path for path, _ in files} if can_fork() else set()
    staged: dict[Path, str | _ForkedStage] = {}
    try:
        for path, chunks in files:  # the children first, so they run beside the rest
            if path in forked:
                staged[path] = _ForkedStage(path, chunks if callable(chunks) else _given(chunks))
        for path, chunks in files:
            if path not in forked:
                staged[path] = _stage(path, chunks() if callable(chunks) else chunks, durable)
        # every child answers before anything is renamed: all or nothing
        for path, tmp in staged.items():
            if isinstance(tmp, _ForkedStage):
                staged[path] = tmp.result()
        for path, _ in files:
            tmp = staged[path]
            assert isinstance(tmp, str)  # every child has answered
            os.replace(tmp, path)
            del staged[path]
    except BaseException:
        for tmp in staged.values():
            if isinstance(tmp, _ForkedStage):
                tmp.abandon()
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename over it: readers see old or new, never half."""
    write_all_atomic([(path, data)])
