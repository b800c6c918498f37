"""A process whose local-engine child embeds forever: test_process_engine kills this one
with SIGKILL and checks that the child dies with it (no orphan keeps embedding or holds
the store's lock file). The child writes its pid to PIDFILE when it starts embedding::

    python embed_forever.py PIDFILE
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]  # conftest's FakeEmbedder

from conftest import FakeEmbedder

from storythreads.embeddings.process_engine import ProcessEmbedder


class Forever(FakeEmbedder):
    def __init__(self, pidfile: str):
        super().__init__()
        self.pidfile = pidfile

    def embed(self, texts):
        Path(self.pidfile).write_text(str(os.getpid()))
        while True:
            time.sleep(1)


if __name__ == "__main__":
    ProcessEmbedder(functools.partial(Forever, sys.argv[1])).embed(["never", "done"])
