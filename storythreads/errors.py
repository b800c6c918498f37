"""The exceptions storythreads raises.

Every error the package raises on purpose derives from one base class, so a caller can
catch them all in one place (the CLI turns them into exit codes there)::

    StoryThreadsError
    ├── InputError       a file or record the user gave cannot be read (exit code 1)
    ├── ConfigError      a setting has a bad value or a settings file is malformed (exit 2)
    ├── StoreError       the SQLite store cannot be opened or is from a newer version (exit 3)
    │   └── StoreLockedError  another run holds the store's lock (exit 5)
    ├── EmbeddingError   the embedding model cannot be loaded or run (exit 4)
    └── NlpModelError    the spaCy pipeline cannot be loaded (exit 4)
"""

from __future__ import annotations


class StoryThreadsError(Exception):
    """Base class of every error raised on purpose by storythreads."""

    exit_code = 1


class InputError(StoryThreadsError):
    """An input file or record cannot be used.

    ``path`` and ``line`` name the record when they are known; ``str(error)`` always
    starts with them so a one-line message is enough to find the problem.
    """

    exit_code = 1

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")


class ConfigError(StoryThreadsError):
    """A setting has a value outside its allowed range, or a settings file is malformed."""

    exit_code = 2


class StoreError(StoryThreadsError):
    """The store cannot be opened, is locked by another run, or is from a newer version."""

    exit_code = 3


class StoreLockedError(StoreError):
    """Another run holds the store's lock and did not release it within the wait."""

    exit_code = 5


class EmbeddingError(StoryThreadsError):
    """The embedding model cannot be loaded (never downloaded) or failed on a batch."""

    exit_code = 4


class NlpModelError(StoryThreadsError):
    """The spaCy pipeline (``--nlp-model``) is not installed or cannot be loaded.

    Exit code 4 like EmbeddingError: a model the run needs is missing, and the fix is an
    install, not a change to the input or the settings.
    """

    exit_code = 4
