"""The package ships its types (issue 35): a user's type checker, reading storythreads as
an installed package (PEP 561: only because of ``py.typed``), sees the real types of the
public API, and catches a wrong use before anything runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "storythreads"

USER_SCRIPT = """\
from pathlib import Path

from storythreads import Settings, analyze, publish, read_posts

settings = Settings()
result = read_posts(["blog.txt"], limits=settings.limits)
run = analyze(result.posts, settings)
written = publish(run, Path("report"), settings.report)
reveal_type(result.posts)
reveal_type(run)
reveal_type(run.threads)
reveal_type(written)
reveal_type(settings.report.window_days)
threads: int = run.threads  # wrong on purpose: the checker must say so
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("mypy")
    work = tmp_path_factory.mktemp("user")
    site = work / "site"  # storythreads as an installed package, not as the user's source
    site.mkdir()
    (site / "storythreads").symlink_to(PACKAGE, target_is_directory=True)
    (work / "script.py").write_text(USER_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "script.py"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return done.stdout + done.stderr


def revealed(output: str) -> list[str]:
    """The revealed types, without the "builtins." some mypy versions write."""
    return [t.replace("builtins.", "") for t in re.findall(r'Revealed type is "([^"]+)"', output)]


def test_a_users_checker_sees_the_real_types(checked):
    assert revealed(checked) == [
        "tuple[storythreads.types.Post, ...]",
        "storythreads.types.Run",
        "tuple[storythreads.types.Thread, ...]",
        "list[pathlib.Path]",
        "float",
    ], checked
    assert "missing library stubs or py.typed marker" not in checked


def test_a_users_checker_catches_a_wrong_use(checked):
    errors = [line for line in checked.splitlines() if ": error:" in line]
    assert len(errors) == 1, checked
    assert "script.py:14: error: Incompatible types in assignment" in errors[0]
