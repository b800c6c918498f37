"""What went wrong with a store, in one line: SQLite's errors turned into StoreErrors.

Every message starts with the store's path and says what to do next; the CLI prints it as
it is, with exit code 3 (a traceback only with ``storythreads --debug``).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from ..errors import StoreError
from .snapshot_files import list_snapshots


class _HasPath(Protocol):
    """What ``guarded`` needs of the object whose method it wraps: the store's path."""

    @property
    def path(self) -> Path: ...


_S = TypeVar("_S", bound=_HasPath)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def restore_hint(path: Path, snapshots: int) -> str:
    """What to do about a damaged store, given how many snapshots of it are kept."""
    if snapshots:
        return (
            f"`storythreads store restore --store {path}` puts back the last good snapshot "
            f"({snapshots} kept)"
        )
    return "no snapshot of it is kept to restore from (store.snapshots)"


def damaged(path: Path, problem: str, snapshots: int) -> StoreError:
    """The store failed SQLite's own check (or a read found a malformed page)."""
    first = _one_line(problem)
    return StoreError(f"{path}: the store is damaged ({first}); {restore_hint(path, snapshots)}")


def classify(exc: sqlite3.Error) -> str:
    """damaged, not a store, full, read-only, cannot open, or other: what an sqlite3 error
    says about the store (by SQLite's error code, or its message where there is none)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    for kind, code, words in (
        ("damaged", "SQLITE_CORRUPT", "malformed"),
        ("not a store", "SQLITE_NOTADB", "not a database"),
        ("full", "SQLITE_FULL", "is full"),
        ("read-only", "SQLITE_READONLY", "readonly"),
        ("cannot open", "SQLITE_CANTOPEN", "unable to open"),
    ):
        if name.startswith(code) or words in text:
            return kind
    return "other"


def store_fault(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError naming ``path`` for an sqlite3 error raised while using the store."""
    text = _one_line(str(exc))
    kind = classify(exc)
    if kind == "damaged":
        return damaged(path, text, len(list_snapshots(path)))
    if kind == "not a store":
        return StoreError(f"{path}: not a storythreads store (not an SQLite database)")
    if kind == "full":
        return StoreError(
            f"{path}: the disk holding the store is full ({text}); the write was rolled back "
            "and the store is as it was: free some space and run again"
        )
    if kind == "read-only":
        return StoreError(f"{path}: the store cannot be written ({text}); {_writable_hint(path)}")
    if kind == "cannot open":
        return StoreError(f"{path}: cannot open the store ({text}); {_writable_hint(path)}")
    return StoreError(f"{path}: store error: {text}")


def guarded(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Decorate a Store method: an sqlite3 error inside it becomes a one-line StoreError."""

    @functools.wraps(method)
    def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_fault(self.path, exc) from exc

    return wrapper


def refuse_read_only(path: Path) -> None:
    """A run writes the store, its journal (``-wal``, ``-shm``) and its lock file beside it:
    say so now if the file or its folder cannot be written, before any work is done."""
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            f"{path}: the store file is read-only; a run must write to it "
            "(make it writable, or run as its owner)"
        )
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"{path}: the store's folder {folder} is read-only; a run writes its journal "
            "(-wal, -shm), its lock file and its snapshots beside the store"
        )


def _writable_hint(path: Path) -> str:
    return f"check that {path} and its folder {path.parent} exist and are writable"


def _one_line(text: str) -> str:
    return " ".join(text.split())
