"""The store's run lock: ``<store>.lock``, held with flock for the length of a run, so two
runs never write one store at once (``Store.lock``; ``store restore`` holds it without
opening the store)."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError, StoreLockedError


def take_lock(path: Path, wait: float) -> int:
    """Hold ``<path>.lock`` (flock), waiting up to ``wait`` seconds; the open descriptor.

    StoreLockedError when another process still holds it after ``wait``."""
    try:
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"{path}.lock: cannot create the lock file: {exc}") from exc
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreLockedError(
                    f"{path}: another storythreads run holds the store lock "
                    f"(waited {wait:g} s); try again later or raise --wait"
                ) from None
            time.sleep(0.2)


def release_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def held_lock(path: Path, wait: float) -> Iterator[None]:
    """The store's run lock, without opening the store (``store restore`` replaces it)."""
    fd = take_lock(path, wait)
    try:
        yield
    finally:
        release_lock(fd)
