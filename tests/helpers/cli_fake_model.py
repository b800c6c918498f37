"""The storythreads CLI with the FakeEmbedder, in a process of its own, reporting its memory.

test_bad_input.py runs this under an address-space limit to show that a huge post is
threaded in bounded memory, without risking the test process itself. The last line on
stdout is ``peak_rss_mib=N`` (the process's peak resident memory), whatever the outcome::

    python cli_fake_model.py run INPUT --out OUT [--config SETTINGS] ...
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]  # conftest's FakeEmbedder

from conftest import FakeEmbedder

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder


def _fake_embedder(settings):
    return CachedEmbedder(FakeEmbedder())


def main() -> None:
    cli.engines.embedder = _fake_embedder
    try:
        cli.main(sys.argv[1:], prog_name="storythreads")
    finally:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak_rss_mib={peak_kib // 1024}", flush=True)


if __name__ == "__main__":
    main()
