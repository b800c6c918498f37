"""The command line: each command reads its options and calls one API function; errors
become one line and an exit code in one place (``options.handled``).

Exit codes: 0 ok; 1 bad input (a file or record that cannot be used); 2 usage or settings;
3 store problem; 4 embedding model problem; 5 another run holds the store's lock.
"""

from .commands import entry, main

__all__ = ["entry", "main"]
