"""One scheduled run of the fixture posts on a store, in its own process.

test_crash_safety.py starts this script and kills it at chosen moments. It prints a line
when it holds the lock (``locked``), when the fake model has finished (``embedded``) and
when the run is written (``done``), so a test can aim its SIGKILL. With ``--ready`` it
prints ``ready`` once imported and waits for a line on stdin before taking the lock, so a
test can make two runs overlap without racing on import times. Exit 5 when the lock is
held by another run and ``--wait`` ran out, as the CLI does.

    python run_update.py STORE [--wait S] [--sleep S_PER_TEXT] [--posts all|day1|day2] [--ready]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # fixture_posts, and conftest's FakeEmbedder

from conftest import SlowFakeEmbedder
from fixture_posts import DAY1_POSTS, DAY2_POSTS, POSTS

from storythreads.errors import StoreLockedError
from storythreads.pipeline import update
from storythreads.store import Store

POST_SETS = {"all": POSTS, "day1": DAY1_POSTS, "day2": DAY2_POSTS}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--wait", type=float, default=60.0)
    parser.add_argument("--sleep", type=float, default=0.02)
    parser.add_argument("--posts", choices=sorted(POST_SETS), default="all")
    parser.add_argument("--ready", action="store_true")
    args = parser.parse_args()
    if args.ready:
        print("ready", flush=True)
        sys.stdin.readline()
    with Store(args.store) as store:
        try:
            store.lock(args.wait)
        except StoreLockedError as exc:
            print(f"locked out: {exc}", file=sys.stderr, flush=True)
            return 5
        print("locked", flush=True)
        run = update(
            store, POST_SETS[args.posts], embedder=SlowFakeEmbedder(args.sleep, announce=True)
        )
    print(f"done {run.id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
