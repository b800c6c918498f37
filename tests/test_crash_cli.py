"""Issue 8 at the CLI level: `storythreads run` SIGKILLed at any moment damages nothing.

Each killed run is the real CLI in a child process (``helpers/cli_slow_fake.py``: the
FakeEmbedder slowed to a model's pace, a slow save transaction and a slow disk under the
report writer, timing only, nothing printed), on a JSONL of the fixture posts, with
``--store`` and ``--out`` in tmp_path. One uninterrupted child run is watched (by polling
the file system) to learn when each phase happens; then, for each seed 0..5, a fresh run
is killed after a random delay inside one phase's window (counted from the moment the
killed run itself creates the store file, or out/, so start-up jitter cannot shift it):

    seed 0: startup and ingest (before the store file exists)
    seeds 1, 2: embedding (the store is open and locked, the model is running)
    seed 3: inside the save transaction (after posts and segments are inserted, before
            the runs row and COMMIT)
    seeds 4, 5: report writing (after the store committed and was closed)

Seeds 0, 4 and 5 are sure to leave the store before / after / after the run: out/
appears only once the store has committed and closed.

After each kill the store passes ``PRAGMA integrity_check`` and holds either nothing of the
run or all of it (the vector cache aside); every report file under its final name is
complete, byte for byte the uninterrupted run's (report.json: but for its two times);
reports exist only for a committed run. The run is then redone to completion (the CLI in this process) and
must give what the uninterrupted run gave:

* store tables posts, segments, assignments and links equal, and threads (id, label,
  status) equal;
* report.json equal except for these keys, which differ legitimately:
  ``run.started``, ``run.finished`` (wall-clock times);
  ``run.id`` (``run-000002`` when the killed run had committed as ``run-000001``);
  ``run.counts.segments_embedded`` (0 when the killed run had cached the vectors, which it
  commits as soon as they are computed, committed run or not);
  ``run.counts.posts_new`` and ``run.counts.posts_unchanged`` (0 and 32 instead of 32 and
  0 when the killed run had committed the posts);
  ``changes`` (a rerun after a committed run says "no change since run-000001" instead of
  "first run"; it is checked separately). Every other count is compared. When the killed
  run committed nothing, the rerun's report.md and report.html must also equal the
  uninterrupted run's byte for byte.

A killed run may leave a hidden temp file (``.report.<fmt>.<random>.tmp``): the report writer's
cleanup cannot run under SIGKILL. That is accepted as long as it never holds a final name.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder
from helpers.fixture_posts import POSTS

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder

HELPER = Path(__file__).parent / "helpers" / "cli_slow_fake.py"
SAVE_SLEEP = 0.015  # seconds per summary citation, inside the save transaction
SLOW = ["--sleep=0.015", f"--save-sleep={SAVE_SLEEP}", "--fsync-sleep=0.15"]
REPORTS = ("report.md", "report.json", "report.html")
TEMP = re.compile(r"^\.report\.(md|json|html)\.[^.]+\.tmp$")
# (phase, seeds): which window of the uninterrupted run each seed's kill is drawn from
PHASES = {0: "startup", 1: "embedding", 2: "embedding", 3: "saving", 4: "reports", 5: "reports"}
TABLES = ("posts", "segments", "assignments", "links")
DROPPED_COUNTS = ("segments_embedded", "posts_new", "posts_unchanged")


def write_posts(path: Path) -> Path:
    rows = [
        {
            "id": p.id,
            "source": p.source,
            "url": p.url,
            "published": p.published.isoformat(),
            "title": p.title,
            "byline": p.byline,
            "text": p.body,
        }
        for p in POSTS
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def start(data: Path, work: Path) -> subprocess.Popen:
    args = ["run", str(data), "--out", str(work / "out"), "--store", str(work / "store.sqlite")]
    return subprocess.Popen(
        [sys.executable, str(HELPER), *SLOW, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def watch(proc: subprocess.Popen, work: Path) -> dict[str, float]:
    """Poll the file system while ``proc`` runs; when each phase began, in seconds.

    The store appears after ingest; its WAL grows at each commit (the migration at once,
    the vector cache after the model has run, the run itself) and goes when the store is
    closed; out/ appears when the report writer starts.
    """
    t0 = time.monotonic()
    store, wal, out = work / "store.sqlite", work / "store.sqlite-wal", work / "out"
    seen: dict[str, float] = {}
    size, changed = 0, 0.0
    while proc.poll() is None:
        now = time.monotonic() - t0
        if store.exists():
            seen.setdefault("store", now)
        new_size = wal.stat().st_size if wal.exists() else 0
        if new_size and new_size != size:
            if size and now - changed > 0.2:  # the first commit after the quiet embedding
                seen.setdefault("vectors", now)
            size, changed = new_size, now
        if "vectors" in seen and not wal.exists():
            seen.setdefault("closed", now)  # the run committed, the store closed
        if out.exists():
            seen.setdefault("out", now)
        if all((out / name).exists() for name in REPORTS):
            seen.setdefault("reports", now)
        time.sleep(0.005)
    seen["end"] = time.monotonic() - t0
    return seen


def window(phase: str, t: dict[str, float], citations: int) -> tuple[str | None, float, float]:
    """What to wait for in the killed run, then the range of the random extra delay.

    The save transaction spends its last ``citations * SAVE_SLEEP`` seconds or so writing
    summary citations (then links, lineage, the runs row, commit): "saving" aims inside.
    """
    embed_end = t["vectors"] - t["store"]
    committed = t["closed"] - t["store"]
    return {
        "startup": (None, 0.0, t["store"]),
        "embedding": ("store.sqlite", 0.0, embed_end),
        "saving": ("store.sqlite", committed - 0.8 * citations * SAVE_SLEEP, committed - 0.03),
        "reports": ("out", 0.0, t["reports"] - t["out"]),
    }[phase]


def wait_for(proc: subprocess.Popen, path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, path
        time.sleep(0.005)


def db_state(path: Path) -> dict:
    """Integrity checked; the run's tables, the number of runs and of cached vectors."""
    if not path.exists():
        return {"runs": 0, "vectors": 0, "tables": None}
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" not in names:  # killed before the first migration committed
            return {"runs": 0, "vectors": 0, "tables": None}
        return {
            "runs": db.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
            "vectors": db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0],
            "tables": tables(db),
            "changes": [json.loads(r[0]) for r in db.execute("SELECT changes FROM runs")],
        }
    finally:
        db.close()


def tables(db: sqlite3.Connection) -> dict:
    out = {}
    for name in TABLES:
        cols = ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({name})"))
        out[name] = db.execute(f"SELECT {cols} FROM {name} ORDER BY {cols}").fetchall()
    out["threads"] = db.execute("SELECT id, label, status FROM threads ORDER BY id").fetchall()
    return out


def check_complete(path: Path) -> None:
    """A report under its final name looks whole (the exact check is against the
    reference: see same_report)."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), path
    if path.name == "report.json":
        assert json.loads(data)["schema"] == "storythreads.report/1"
    elif path.name == "report.html":
        assert data.endswith(b"</html>\n"), path
    else:  # report.md has no closing marker: it ends with its last timeline line
        assert data.decode("utf-8").startswith("# "), path


def same_report(path: Path, reference: Path) -> bool:
    """Byte for byte the uninterrupted run's report (report.json: but for its times).

    Holds for a report written by a killed first run, or by a rerun after a kill that
    committed nothing: it is run-000001 either way, and md/html carry no time.
    """
    if path.name != "report.json":
        return path.read_bytes() == reference.read_bytes()
    got, want = (json.loads(p.read_text("utf-8")) for p in (path, reference))
    for report in (got, want):
        del report["run"]["started"], report["run"]["finished"]
    return got == want


def comparable(report_json: Path) -> dict:
    report = json.loads(report_json.read_text("utf-8"))
    for key in ("started", "finished", "id"):
        report["run"].pop(key)
    for key in DROPPED_COUNTS:
        report["run"]["counts"].pop(key)
    report.pop("changes")
    return report


def rerun(data: Path, work: Path) -> None:
    args = ["run", str(data), "--out", str(work / "out"), "--store", str(work / "store.sqlite")]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(cli.engines, "embedder", lambda settings: CachedEmbedder(FakeEmbedder()))


def test_a_cli_run_killed_anywhere_leaves_store_and_reports_whole(tmp_path, fake_model):
    data = write_posts(tmp_path / "posts.jsonl")

    ref = tmp_path / "reference"
    proc = start(data, ref)
    times = watch(proc, ref)
    assert proc.returncode == 0, proc.stderr.read().decode()
    proc.stderr.close()
    assert {"store", "vectors", "closed", "out", "reports"} <= times.keys(), times
    for name in REPORTS:
        check_complete(ref / "out" / name)
    assert (ref / "out" / "report.html").read_bytes().endswith(b"</html>\n")
    reference = db_state(ref / "store.sqlite")
    assert reference["runs"] == 1 and len(reference["tables"]["posts"]) == len(POSTS)
    reference_report = comparable(ref / "out" / "report.json")
    threads = json.loads((ref / "out" / "report.json").read_text("utf-8"))["threads"]
    citations = sum(len(t["summary"]) for t in threads)

    log = []
    for seed, phase in PHASES.items():
        work = tmp_path / f"seed{seed}"
        anchor, low, high = window(phase, times, citations)
        delay = random.Random(seed).uniform(low, high)
        proc = start(data, work)
        if anchor:
            wait_for(proc, work / anchor)
        time.sleep(delay)
        proc.kill()
        proc.wait(30)
        proc.stderr.close()
        where = (
            f"seed {seed}: killed {delay:.2f} s after {anchor or 'start'}"
            f" ({phase}: {low:.2f}-{high:.2f} s)"
        )

        state = db_state(work / "store.sqlite")
        out = work / "out"
        names = sorted(os.listdir(out)) if out.exists() else []
        folders = [n for n in names if n in ("archive", "assets")]
        names = [n for n in names if n not in folders]
        finals = [n for n in names if n in REPORTS]
        temps = [n for n in names if n not in REPORTS]
        assert all(TEMP.match(n) for n in temps), (where, names)
        for folder in folders:  # archive pages and plotly.js: whole files or temp files
            for path in (out / folder).rglob("*"):
                if path.is_file() and path.name.endswith(".tmp"):
                    assert path.name.startswith("."), (where, path)
                elif path.is_file() and path.suffix == ".json":
                    json.loads(path.read_bytes())  # whole, or it would not parse
                elif path.is_file() and path.suffix == ".html":
                    assert path.read_bytes().endswith(b"</html>\n"), (where, path)
        for name in finals:
            check_complete(out / name)
            assert same_report(out / name, ref / "out" / name), (where, name)
        if state["runs"] == 0:  # nothing of the run was written but (maybe) the vector cache
            assert state["tables"] is None or not any(state["tables"].values()), where
            assert state["vectors"] in (0, len(reference["tables"]["segments"])), where
            assert finals == [], where  # no report describes a run the store does not hold
        else:
            assert state["runs"] == 1, where
            assert state["tables"] == reference["tables"], where
        log.append(
            f"{where}: store {'after' if state['runs'] else 'before'}"
            f" (vectors {state['vectors']}), reports {finals}, temp files {temps},"
            f" returncode {proc.returncode}"
        )

        rerun(data, work)
        again = db_state(work / "store.sqlite")
        assert again["tables"] == reference["tables"], where
        assert again["runs"] == state["runs"] + 1, where
        if state["runs"]:
            assert again["changes"][-1]["since_run"] == "run-000001", where
            assert "no_change" in again["changes"][-1], where
        for name in REPORTS:
            check_complete(out / name)
        assert comparable(out / "report.json") == reference_report, where
        if not state["runs"]:  # the rerun was run-000001 too: same reports but the counts
            for name in ("report.md", "report.html"):
                assert same_report(out / name, ref / "out" / name), (where, name)

    print(f"\nuninterrupted run phases (s): {times}")
    print("\n".join(log))
    outcomes = [line.split(": store ")[1].split()[0] for line in log]
    assert outcomes[0] == "before", log  # killed before the store was even written
    # out/ appears only after the store is closed: a kill while writing reports comes after
    assert outcomes[4:] == ["after", "after"], log
