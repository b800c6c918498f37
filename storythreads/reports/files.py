"""Writing report files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

Chunks = Iterable[str] | bytes


def _remove_stale_temp_files(out: Path, age_s: float = 3600.0) -> None:
    """Temp files a killed run left behind (SIGKILL skips cleanup); only old ones, since a
    run writing to the same folder right now owns its fresh ones."""
    now = time.time()
    for tmp in out.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > age_s:
                tmp.unlink()


def _stage(path: Path, chunks: Chunks) -> str:
    """Write ``chunks`` (strings, as UTF-8; or bytes) to a synced temp file beside ``path``;
    return its name.

    Chunks are written as they come, so a report of hundreds of megabytes never has to be
    one string in memory. On any error the temp file is removed.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            # mkstemp makes the file 0600; a report is meant to be read by others too.
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), 0o644)
            if isinstance(chunks, bytes):
                fh.write(chunks)
            else:  # templates yield many tiny strings: join them thousands at a time
                it = iter(chunks)
                while batch := list(islice(it, 16384)):
                    fh.write("".join(batch).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def write_all_atomic(files: Iterable[tuple[Path, Chunks]]) -> None:
    """Stage every file first, then rename each over its target.

    Readers see each file old or new, never half of it; if producing any file fails, no
    target has been touched and every temp file is gone.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, chunks in files:
            staged.append((_stage(path, chunks), path))
        while staged:
            tmp, path = staged[0]
            os.replace(tmp, path)
            staged.pop(0)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename over it: readers see old or new, never half."""
    write_all_atomic([(path, data)])
