"""The storythreads CLI with a slowed-down FakeEmbedder, in a process of its own.

test_crash_cli.py starts this script and SIGKILLs it after a chosen delay, so each phase of
a real ``storythreads run`` (ingest, embedding, clustering and saving, report writing)
lasts long enough to be hit by timing alone. Nothing is printed beyond what the CLI
prints. Two leading options, before the CLI's own arguments::

    python cli_slow_fake.py [--sleep=S] [--save-sleep=S] [--fsync-sleep=S] run INPUT ...

``--sleep`` makes the fake model take S seconds per text it embeds (like a real model).
``--save-sleep`` makes the store's save take S seconds per summary citation it writes,
inside the run's one transaction (after the posts and segments, before the runs row), so a
kill can land mid-transaction.
``--fsync-sleep`` makes every ``os.fsync`` in this process (only the report writer's
``files._stage`` calls it; SQLite syncs from C) wait S seconds first, like a slow disk:
that widens the window between a report's temp file being written and its rename.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]  # conftest's FakeEmbedder

from conftest import SlowFakeEmbedder

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder
from storythreads.store import save


def main() -> None:
    args = sys.argv[1:]
    sleeps = {"--sleep": 0.0, "--save-sleep": 0.0, "--fsync-sleep": 0.0}
    while args and args[0].partition("=")[0] in sleeps:
        name, _, value = args.pop(0).partition("=")
        sleeps[name] = float(value)
    sleep, save_sleep, fsync_sleep = sleeps.values()
    if save_sleep:
        real_citation = save.citation_json

        def slow_citation(c):
            time.sleep(save_sleep)
            return real_citation(c)

        save.citation_json = slow_citation
    if fsync_sleep:
        real_fsync = os.fsync

        def slow_fsync(fd):
            time.sleep(fsync_sleep)
            return real_fsync(fd)

        os.fsync = slow_fsync
    cli.engines.embedder = lambda settings: CachedEmbedder(SlowFakeEmbedder(sleep))
    cli.main(args, prog_name="storythreads")


if __name__ == "__main__":
    main()
