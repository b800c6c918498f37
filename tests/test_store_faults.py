"""Store faults: a damaged, foreign, newer, read-only or full store ends a run with one line
naming it and exit code 3 (no traceback but with --debug), and there is a way back: the
snapshot every run keeps before it writes, `storythreads store check` and `store restore`.

Each failure is made on a store a real `storythreads run` wrote (the FakeEmbedder, report
formats json only): a few KB of junk over the middle of the file, a schema version from
the future, chmod (as root, in a child process without CAP_DAC_OVERRIDE, which otherwise
ignores it), a text file or another program's SQLite file, and a disk that fills during
the save (SQLite's max_page_count, which fails with SQLITE_FULL as a full disk does).
"""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers.fixture_posts import DAY1_POSTS, POSTS, write_posts_jsonl

from storythreads.cli import commands as cli
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.errors import ConfigError, StoreError
from storythreads.pipeline import update
from storythreads.store import MIGRATIONS, Store, check_store, list_snapshots, restore

HELPER = Path(__file__).parent / "helpers" / "cli_fake_model.py"
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, make_fake_embedder):
    """No command here loads the real model."""
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


class Work:
    """A directory with the fixture posts as two days' JSONL, a settings file writing
    report.json only, out/ and store.sqlite."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.day1 = write_posts_jsonl(root / "day1.jsonl", DAY1_POSTS)
        self.all = write_posts_jsonl(root / "all.jsonl", POSTS)
        self.config = root / "settings.toml"
        self.config.write_text('[report]\nformats = ["json"]\n', encoding="utf-8")
        self.out = root / "out"
        self.store = root / "store.sqlite"

    def args(self, data: Path, *extra: str) -> list[str]:
        return ["run", str(data), "--out", str(self.out), "--store", str(self.store),
                "--config", str(self.config), *extra]  # fmt: skip

    def run(self, data: Path, *extra: str, prefix: tuple[str, ...] = ()):
        return CliRunner().invoke(cli.main, [*prefix, *self.args(data, *extra)])

    def report(self) -> dict:
        """report.json without the two times of the run (test_determinism compares so)."""
        report = json.loads((self.out / "report.json").read_text(encoding="utf-8"))
        report["run"].pop("started")
        report["run"].pop("finished")
        return report


@pytest.fixture
def work(tmp_path) -> Work:
    """A store holding two runs (day 1, then all posts): one snapshot, of day 1."""
    made = Work(tmp_path / "work")
    for data in (made.day1, made.all):
        result = made.run(data)
        assert result.exit_code == 0, result.output
    return made


def damage(path: Path, size: int = 12 * 1024) -> None:
    """Junk over ``size`` bytes from the page boundary nearest the middle of the file."""
    length = path.stat().st_size
    assert length > 4 * size, length
    start = (length // 2) // 4096 * 4096
    with open(path, "r+b") as fh:
        fh.seek(start)
        fh.write(bytes((i * 151 + 7) % 256 for i in range(size)))


def one_error_line(result_or_stderr, path: Path, exit_code: int = 3, allowed=()) -> str:
    """The run failed with ``exit_code`` and one stderr line naming ``path`` (lines
    starting with one of ``allowed`` are a run's notices before it failed); no traceback."""
    if isinstance(result_or_stderr, str):
        stderr, stdout, code = result_or_stderr, "", exit_code
    else:
        result = result_or_stderr
        stderr, stdout, code = result.stderr, result.stdout, result.exit_code
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert code == exit_code, stderr + stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(allowed)] if allowed else lines
    assert len(lines) == 1, stderr
    assert lines[0].startswith("storythreads: error: "), stderr
    assert str(path) in lines[0]
    assert "Traceback" not in stderr + stdout
    return lines[0]


def runs_in(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        db.close()


# -- each fault is exit 3 and one line ---------------------------------------------------


def test_a_damaged_store_is_one_line_exit_3_and_no_snapshot_is_taken(work):
    before = list_snapshots(work.store)
    report = work.report()
    damage(work.store)
    line = one_error_line(work.run(work.all), work.store)
    assert "damaged" in line and "store restore" in line
    assert list_snapshots(work.store) == before  # the good snapshot is not rotated out
    assert work.report() == report  # no report of a run that did not happen


def test_debug_shows_the_traceback_of_a_store_error(work):
    damage(work.store)
    result = work.run(work.all, prefix=("--debug",))
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "StoreError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("storythreads: error: ")


def test_a_store_of_a_newer_schema_is_one_line_exit_3(work):
    db = sqlite3.connect(work.store)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    line = one_error_line(work.run(work.all), work.store)
    assert "newer" in line and "upgrade" in line


def test_a_text_file_is_not_a_store(tmp_path):
    work = Work(tmp_path / "w")
    work.store.write_text("shopping list: milk, eggs\n" * 200, encoding="utf-8")
    before = work.store.read_bytes()
    line = one_error_line(work.run(work.day1), work.store)
    assert "not a storythreads store" in line
    assert work.store.read_bytes() == before


def test_another_programs_sqlite_file_is_left_untouched(tmp_path):
    work = Work(tmp_path / "w")
    db = sqlite3.connect(work.store)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    db.execute("INSERT INTO notes (text) VALUES ('keep me')")
    db.commit()
    db.close()
    before = work.store.read_bytes()
    line = one_error_line(work.run(work.day1), work.store)
    assert "not a storythreads store" in line and "notes" in line
    assert work.store.read_bytes() == before  # no storythreads tables added to it


def test_a_disk_that_fills_during_the_save_is_one_line_exit_3(tmp_path, monkeypatch):
    work = Work(tmp_path / "w")
    assert work.run(work.day1).exit_code == 0
    report = work.report()
    original = Store.save_run

    def on_a_full_disk(self, *args, **kwargs):
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count = {pages}")  # no page more: SQLITE_FULL
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "save_run", on_a_full_disk)
    result = work.run(work.all)
    line = one_error_line(result, work.store, allowed=("storythreads: adding to",))
    assert "full" in line
    assert runs_in(work.store) == 1  # rolled back whole
    assert work.report() == report
    monkeypatch.setattr(Store, "save_run", original)
    assert work.run(work.all).exit_code == 0  # space again: the run goes through
    assert runs_in(work.store) == 2


def _without_root_override() -> None:
    """In the child: drop the capabilities with which root ignores file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(args: list[str], probe: Path) -> subprocess.CompletedProcess:
    """The CLI (FakeEmbedder) in a child process for which chmod holds: as root, one
    without CAP_DAC_OVERRIDE; skipped where that cannot be had or ``probe`` stays
    writable to it."""
    preexec = _without_root_override if os.geteuid() == 0 else None
    check = [sys.executable, "-c", "import os, sys; sys.exit(os.access(sys.argv[1], os.W_OK))"]
    try:
        writable = subprocess.run([*check, str(probe)], preexec_fn=preexec, timeout=60, check=False)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's CAP_DAC_OVERRIDE here ({exc})")
    if writable.returncode != 0:
        pytest.skip("chmod does not stop this user from writing (root with its capabilities)")
    return subprocess.run(
        [sys.executable, str(HELPER), *args],
        preexec_fn=preexec,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_read_only_store_file_is_one_line_exit_3(work):
    mode = work.store.stat().st_mode
    work.store.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        done = run_unprivileged(work.args(work.all), probe=work.store)
    finally:
        work.store.chmod(mode)
    assert done.returncode == 3, done.stderr
    line = one_error_line(done.stderr, work.store)
    assert "read-only" in line
    assert runs_in(work.store) == 2


def test_a_store_in_a_read_only_folder_is_one_line_exit_3(work, tmp_path):
    folder = work.store.parent
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        args = [*work.args(work.all)]
        args[args.index("--out") + 1] = str(tmp_path / "elsewhere")
        done = run_unprivileged(args, probe=folder)
    finally:
        folder.chmod(mode)
    assert done.returncode == 3, done.stderr
    line = one_error_line(done.stderr, work.store)
    assert "read-only" in line and "folder" in line


def test_an_sqlite_error_mid_run_is_a_one_line_store_error(tmp_path):
    class Broken:
        def execute(self, *args):
            raise sqlite3.DatabaseError("database disk image is malformed")

    with Store(tmp_path / "s.sqlite") as store:
        db, store.db = store.db, Broken()
        try:
            with pytest.raises(StoreError, match="damaged") as info:
                store.load_posts()
        finally:
            store.db = db
    assert str(tmp_path / "s.sqlite") in str(info.value)
    assert "\n" not in str(info.value)


# -- snapshots -------------------------------------------------------------------------


def test_each_run_keeps_a_snapshot_of_the_store_before_it(tmp_path, make_fake_embedder):
    path = tmp_path / "store.sqlite"
    with Store(path) as store:
        update(store, DAY1_POSTS, Settings(), make_fake_embedder())
        assert list_snapshots(path) == []  # nothing to keep before the first run
        for _ in range(4):
            update(store, POSTS, Settings(), make_fake_embedder())
    snapshots = list_snapshots(path)
    assert len(snapshots) == 3  # store.snapshots, default 3: the oldest went
    assert [s.taken for s in snapshots] == sorted((s.taken for s in snapshots), reverse=True)
    assert [runs_in(s.path) for s in snapshots] == [4, 3, 2]
    assert all(check_store(s.path).ok for s in snapshots)


def test_a_snapshot_is_the_store_before_the_run_though_copied_beside_it(
    tmp_path, make_fake_embedder
):
    """The copy runs in the background; what the run writes meanwhile (new vectors) is
    not in it, and the run's save waits for it."""
    from storythreads.store.snapshots import PendingSnapshot

    path = tmp_path / "store.sqlite"
    with Store(path) as store:
        update(store, DAY1_POSTS, Settings(), make_fake_embedder())
        vectors = store.db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        pending = PendingSnapshot(store, 3)
        store.put_vectors("other-model", {f"sha{i}": np.full(4, 0.5) for i in range(50)})
        taken = pending.wait()
        assert taken == list_snapshots(path)[0].path
        assert store.db.execute("SELECT count(*) FROM vectors").fetchone()[0] == vectors + 50
    copy = sqlite3.connect(taken)
    assert copy.execute("SELECT count(*) FROM vectors").fetchone()[0] == vectors
    copy.close()
    assert check_store(taken).ok


def test_store_snapshots_is_configurable_and_0_turns_them_off(tmp_path, make_fake_embedder):
    for keep, expected in ((1, 1), (0, 0)):
        path = tmp_path / f"keep{keep}.sqlite"
        settings = Settings.from_dict({"store": {"snapshots": keep}})
        with Store(path) as store:
            for _ in range(3):
                update(store, POSTS, settings, make_fake_embedder())
        assert len(list_snapshots(path)) == expected
    assert Settings.from_dict({"store": {"snapshots": 5}}).digest() == Settings().digest()
    with pytest.raises(ConfigError, match="store.snapshots"):
        Settings.from_dict({"store": {"snapshots": -1}})


# -- store check -----------------------------------------------------------------------


def test_store_check_reports_counts_schema_and_snapshots(work):
    result = CliRunner().invoke(cli.main, ["store", "check", "--store", str(work.store)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout.splitlines()[0] and f"schema {len(MIGRATIONS)}" in result.stdout
    as_json = CliRunner().invoke(cli.main, ["store", "check", "--store", str(work.store), "--json"])
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.stdout)
    report = work.report()
    assert found["status"] == "ok" and found["schema"] == len(MIGRATIONS)
    assert found["counts"]["posts"] == len(POSTS)
    assert found["counts"]["runs"] == 2
    assert (
        found["counts"]["segments"]
        == found["counts"]["vectors"]
        == report["run"]["counts"]["segments"]
    )
    assert found["counts"]["threads"] >= len(report["threads"])
    assert [s["status"] for s in found["snapshots"]] == ["ok"]


def test_store_check_on_a_damaged_store_is_exit_3(work):
    damage(work.store)
    result = CliRunner().invoke(cli.main, ["store", "check", "--store", str(work.store), "--json"])
    line = one_error_line(result, work.store)
    assert "damaged" in line
    found = json.loads(result.stdout)
    assert found["status"] == "damaged" and found["problem"]
    assert found["schema"] == len(MIGRATIONS)
    assert [s["status"] for s in found["snapshots"]] == ["ok"]


@pytest.mark.parametrize("kind", ["missing", "text"])
def test_store_check_on_no_store_is_exit_3(tmp_path, kind):
    path = tmp_path / "store.sqlite"
    if kind == "text":
        path.write_text("not a database\n" * 100, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["store", "check", "--store", str(path)])
    one_error_line(result, path)


# -- store restore ---------------------------------------------------------------------


def test_damage_then_restore_then_rerun_gives_the_undamaged_report(tmp_path, work):
    reference = work.report()  # the undamaged second run
    damaged = Work(tmp_path / "damaged")
    for data in (damaged.day1, damaged.all):
        assert damaged.run(data).exit_code == 0
    damage(damaged.store)
    assert damaged.run(damaged.all).exit_code == 3

    result = CliRunner().invoke(cli.main, ["store", "restore", "--store", str(damaged.store)])
    assert result.exit_code == 0, result.output
    asides = damaged.root.glob("store.sqlite.damaged-*")
    (aside,) = [p for p in asides if not p.name.endswith(("-wal", "-shm"))]
    assert str(aside) in result.stdout  # moved aside, not deleted
    assert not check_store(aside).ok
    assert check_store(damaged.store).ok and runs_in(damaged.store) == 1  # day 1

    rerun = damaged.run(damaged.all)
    assert rerun.exit_code == 0, rerun.output
    again = damaged.report()
    assert [(t["id"], t["label"], t["posts"]) for t in again["threads"]] == [
        (t["id"], t["label"], t["posts"]) for t in reference["threads"]
    ]
    assert json.dumps(again, sort_keys=True) == json.dumps(reference, sort_keys=True)


def test_restore_passes_over_a_damaged_snapshot_for_an_older_good_one(tmp_path, work):
    assert work.run(work.all).exit_code == 0  # a second snapshot (after two runs)
    newest, older = list_snapshots(work.store)
    damage(newest.path, size=8 * 1024)
    assert not check_store(newest.path).ok
    damage(work.store)
    result = CliRunner().invoke(cli.main, ["store", "restore", "--store", str(work.store)])
    assert result.exit_code == 0, result.output
    assert f"skipped snapshot {newest.path}" in result.stderr
    assert str(older.path) in result.stdout
    assert runs_in(work.store) == 1


def test_restore_refuses_a_named_damaged_snapshot(work):
    (snapshot,) = list_snapshots(work.store)
    damage(snapshot.path, size=8 * 1024)
    before = work.store.read_bytes()
    result = CliRunner().invoke(
        cli.main, ["store", "restore", snapshot.path.name, "--store", str(work.store)]
    )
    line = one_error_line(result, snapshot.path)
    assert "cannot restore" in line
    assert work.store.read_bytes() == before


def test_restore_without_snapshots_is_exit_3(tmp_path):
    work = Work(tmp_path / "w")
    assert work.run(work.day1).exit_code == 0
    result = CliRunner().invoke(cli.main, ["store", "restore", "--store", str(work.store)])
    assert "no snapshot" in one_error_line(result, work.store)


def test_restoring_over_a_sound_store_keeps_it_as_replaced(work):
    done = restore(work.store)
    assert done.aside is not None and ".replaced-" in done.aside.name
    assert runs_in(done.aside) == 2 and runs_in(work.store) == 1
