"""A run killed at any moment, and runs that overlap, never damage the store.

Each run is a real process (``helpers/run_update.py``: the fixture posts, a FakeEmbedder
slowed down like a model) so SIGKILL and the file lock behave as they do in production.
"""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import FakeEmbedder
from helpers.fixture_posts import DAY1_POSTS, POSTS

from storythreads.config import Settings
from storythreads.pipeline import update
from storythreads.store import Store

HELPER = Path(__file__).parent / "helpers" / "run_update.py"
# What a run computes; runs and lineage are left out (their run numbering may differ).
RESULT_TABLES = ("posts", "segments", "assignments", "links")
THREAD_COLUMNS = "id, label, keyphrases, headline, centroid, first_seen, last_seen, status, summary"


class Helper:
    """One ``run_update.py`` process; a thread reads its stdout lines as they come, with
    the time each arrived."""

    def __init__(self, store: Path, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPER), str(store), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        self.ended = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.strip()))
        self.lines.put(None)

    def wait_for(self, word: str, timeout: float = 60.0) -> bool:
        """Block until the process prints a line starting with ``word``; False if it ended."""
        deadline = time.monotonic() + timeout
        while not self.ended:
            item = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            if item is None:
                self.ended = True
                return False
            self.seen.append(item)
            if item[1].startswith(word):
                return True
        return False

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        while self.wait_for("\0", timeout):  # drain stdout (with times) until it closes
            pass
        self.proc.wait(timeout)
        self.reader.join(timeout)
        err = self.proc.stderr.read()
        self._close()
        return self.proc.returncode, err

    def time_of(self, word: str) -> float:
        return next(t for t, line in self.seen if line.startswith(word))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.reader.join(30)
        self._close()

    def _close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()


def rows(db: sqlite3.Connection, table: str) -> list[tuple]:
    columns = ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({table})"))
    return db.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}").fetchall()


def results(path: Path) -> dict:
    """What must be the same whichever way the store got there."""
    db = sqlite3.connect(path)
    try:
        out = {name: rows(db, name) for name in RESULT_TABLES}
        out["threads"] = db.execute(f"SELECT {THREAD_COLUMNS} FROM threads ORDER BY id").fetchall()
        members: dict[str, list[str]] = {}
        for post_id, thread_id in db.execute(
            "SELECT post_id, thread_id FROM assignments WHERE role = 'primary' ORDER BY post_id"
        ):
            members.setdefault(thread_id, []).append(post_id)
        out["members"] = members
        return out
    finally:
        db.close()


def everything(path: Path) -> dict:
    """Every table but the vector cache (which a killed run may legitimately have grown)."""
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: rows(db, n) for n in sorted(names) if n not in ("vectors", "sqlite_sequence")}
    finally:
        db.close()


def check_sound(path: Path) -> int:
    """Integrity, no half-recorded run, no duplicate post; returns the number of runs."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT COUNT(*) FROM runs WHERE finished IS NULL").fetchone()[0] == 0
        total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM posts").fetchone()
        assert total == distinct
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        db.close()


def update_in_process(path: Path, *batches) -> None:
    with Store(path) as store:
        for batch in batches:
            update(store, batch, Settings(), FakeEmbedder())


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The store after uninterrupted runs: day 1, then all posts."""
    path = tmp_path_factory.mktemp("reference") / "store.sqlite"
    update_in_process(path, DAY1_POSTS, POSTS)
    return results(path)


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("single") / "store.sqlite"
    update_in_process(path, POSTS)
    return results(path)


# (marker to wait for, seconds after it): while embedding, and around the final write
KILL_POINTS = [
    ("locked", 0.0),
    ("locked", 0.3),
    ("locked", 0.8),
    ("embedded", 0.0),
    ("embedded", 0.03),
    ("embedded", 0.06),
    ("embedded", 0.1),
]


def test_a_killed_run_leaves_the_store_as_before_or_after(tmp_path, reference):
    path = tmp_path / "store.sqlite"
    update_in_process(path, DAY1_POSTS)
    before, runs_before = everything(path), check_sound(path)
    outcomes = []
    for marker, delay in KILL_POINTS:
        helper = Helper(path, "--posts", "all", "--sleep", "0.04")
        reached = helper.wait_for(marker)
        time.sleep(delay)
        helper.kill()
        where = f"killed {delay} s after {marker!r}"
        runs = check_sound(path)
        if everything(path) == before:
            outcomes.append("before")
            assert reached, where
            assert runs == runs_before, where
        else:  # the run got written in full before the kill
            outcomes.append("after")
            assert results(path) == reference, where
            assert runs == runs_before + 1, where
            before, runs_before = everything(path), runs
    assert outcomes[0] == "before"  # killed right after taking the lock: nothing written
    assert outcomes.count("before") >= 4, outcomes

    helper = Helper(path, "--posts", "all", "--sleep", "0.04")
    code, err = helper.finish()
    assert code == 0, err
    check_sound(path)
    assert results(path) == reference
    assert len(reference["posts"]) == len(POSTS)
    with Store(path) as store:  # and the store reads back as one consistent run
        loaded = store.load_run()
    assert {t.id: sorted(t.post_ids) for t in loaded.threads} == reference["members"]


def test_two_runs_started_together_take_turns(tmp_path, single_run):
    path = tmp_path / "store.sqlite"
    Store(path).close()  # see test_store.py: two processes creating a new store at once race
    a = Helper(path, "--ready", "--wait", "60")
    b = Helper(path, "--ready", "--wait", "60")
    assert a.wait_for("ready") and b.wait_for("ready")
    a.go()
    b.go()
    (code_a, err_a), (code_b, err_b) = a.finish(), b.finish()
    assert (code_a, code_b) == (0, 0), (err_a, err_b)
    first, second = sorted((a, b), key=lambda h: h.time_of("locked"))
    assert second.time_of("locked") >= first.time_of("done")  # the lock kept them apart
    assert check_sound(path) == 2
    assert results(path) == single_run
    db = sqlite3.connect(path)
    try:
        changes = db.execute("SELECT changes FROM runs ORDER BY seq").fetchall()
    finally:
        db.close()
    assert "no_change" in changes[1][0]


def test_a_run_that_may_not_wait_exits_5(tmp_path, single_run):
    path = tmp_path / "store.sqlite"
    a = Helper(path, "--ready", "--sleep", "0.02")
    b = Helper(path, "--ready", "--wait", "0")
    assert a.wait_for("ready") and b.wait_for("ready")
    a.go()
    assert a.wait_for("locked")
    b.go()
    code_b, err_b = b.finish()
    assert code_b == 5
    assert "lock" in err_b and str(path) in err_b
    code_a, err_a = a.finish()
    assert code_a == 0, err_a
    assert check_sound(path) == 1
    assert results(path) == single_run
