"""The command line: reports, help, and one-line errors with the right exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, make_fake_embedder):
    """No command in this file loads the real model."""
    made = []

    def embedder(settings):
        made.append(settings)
        return CachedEmbedder(make_fake_embedder())

    monkeypatch.setattr(cli.engines, "embedder", embedder)
    return made


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()  # click >= 8.2: result.stdout and result.stderr are kept apart


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("storythreads: error: ")
    return lines[0]


def test_run_writes_all_three_reports(runner, seed_path, tmp_path, fake_model):
    out = tmp_path / "out"
    store = tmp_path / "store.sqlite"
    result = runner.invoke(
        cli.main, ["run", str(seed_path), "--out", str(out), "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert names == {"report.md", "report.json", "report.html", "archive", "assets"}
    assert store.exists()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["schema"] == "storythreads.report/1"
    assert report["run"]["model"] == "fake"
    assert len(report["posts"]) == 9
    assert (out / "report.md").read_text(encoding="utf-8").strip()
    assert "<html" in (out / "report.html").read_text(encoding="utf-8").lower()
    assert "9 posts ->" in result.stdout
    assert len(fake_model) == 1


def test_run_respects_report_formats_from_config(runner, seed_path, tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text('[report]\nformats = ["json"]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        cli.main, ["run", str(seed_path), "--out", str(out), "--config", str(config), "--no-store"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"report.json", "archive"}
    assert not list((out / "archive").rglob("*.html"))  # the archive follows the formats


def test_help_for_main_and_every_command(runner):
    result = runner.invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout
    assert set(cli.main.commands) >= {"run", "eval"}
    for name, command in cli.main.commands.items():
        assert name in result.stdout
        sub = runner.invoke(cli.main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert command.help and command.help.strip(), name
        assert f"Usage: main {name}" in sub.stdout or f"{name} [OPTIONS]" in sub.stdout
        short = runner.invoke(cli.main, [name, "-h"])
        assert short.exit_code == 0 and short.stdout == sub.stdout


def test_version(runner):
    result = runner.invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert "storythreads" in result.stdout


def test_missing_input_file(runner, tmp_path):
    missing = tmp_path / "nope.txt"
    result = runner.invoke(cli.main, ["run", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code in (1, 2)
    assert "nope.txt" in result.stderr
    assert not (tmp_path / "out").exists()


def test_empty_input_file(runner, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(cli.main, ["run", str(empty), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    line = one_line_error(result)
    assert str(empty) in line
    assert "empty" in line.removeprefix("storythreads: error: ").replace(str(empty), "")


def test_jsonl_with_one_broken_line_is_reported_and_skipped(runner, tmp_path):
    data = tmp_path / "posts.jsonl"
    good = {
        "id": "a1",
        "title": "Biden arrives in Vilnius for the NATO summit",
        "body": "The president landed on Monday evening ahead of two days of talks with allies.",
        "published": "2023-07-10T18:00:00Z",
    }
    data.write_text('{"id": "broken", "title": \n' + json.dumps(good) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(cli.main, ["run", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stderr
    assert f"{data}:1:" in result.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in report["posts"]] == ["a1"]
    assert [(p["line"], p["path"]) for p in report["problems"]] == [(1, str(data))]


def test_unknown_format_is_a_usage_error(runner, seed_path, tmp_path):
    result = runner.invoke(
        cli.main, ["run", str(seed_path), "--out", str(tmp_path / "o"), "--format", "xml"]
    )
    assert result.exit_code == 2
    assert "xml" in result.stderr


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[nonsense]\nx = 1\n", ["nonsense", "bad.toml"]),  # unknown section
        ("[cluster]\nthreshold = 7\n", ["cluster.threshold", "bad.toml"]),  # out of range
        # the settings of issue 26: the report's window, the single file, the full copies
        ("[report]\nwindow_days = -1\n", ["report.window_days", "bad.toml"]),
        ('[report]\nsingle_file = "yes"\n', ["single_file", "true or false"]),
        ("[store]\nfull_copy_every_hours = -2\n", ["store.full_copy", "bad.toml"]),
    ],
)
def test_bad_config_is_exit_2(runner, seed_path, tmp_path, toml, expected):
    config = tmp_path / "bad.toml"
    config.write_text(toml, encoding="utf-8")
    result = runner.invoke(
        cli.main, ["run", str(seed_path), "--out", str(tmp_path / "o"), "--config", str(config)]
    )
    assert result.exit_code == 2
    line = one_line_error(result)
    for word in expected:
        assert word in line


def test_eval_scores_a_gold_field(runner, tmp_path):
    rows = [
        {"id": f"p{i}", "title": title, "body": body, "gold_story_id": story,
         "published": f"2023-07-10T1{i}:00:00Z"}
        for i, (story, title, body) in enumerate([
            ("quake", "Earthquake hits Anatolia", "Rescuers search rubble after the earthquake."),
            ("quake", "Anatolia earthquake toll rises", "Rescuers pull survivors from rubble."),
            ("vote", "Thailand votes in election", "Turnout is high in the general election."),
        ])
    ]  # fmt: skip
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(cli.main, ["eval", str(data), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "bcubed_f1" in result.stdout
    scores = json.loads((tmp_path / "o" / "scores.json").read_text(encoding="utf-8"))
    assert 0.0 <= scores["bcubed_f1"] <= 1.0
    assert scores["n_gold"] == 2


def test_eval_prints_the_time_span_of_each_worst_merge(runner, tmp_path):
    body = "Rescuers search rubble after the earthquake in Anatolia as survivors are pulled out."
    rows = [
        {"id": "p0", "title": "Earthquake hits Anatolia", "gold_story_id": "quake",
         "published": "2023-07-10T10:00:00Z"},
        {"id": "p1", "title": "Earthquake hits Anatolia again", "gold_story_id": "quake",
         "published": "2023-07-10T11:00:00Z"},
        {"id": "p2", "title": "Earthquake in Anatolia", "gold_story_id": "aftershock",
         "published": "2023-07-10T13:20:00Z"},
        {"id": "p3", "title": "Thailand votes in election", "gold_story_id": "vote",
         "body": "Turnout is high in the general election.", "published": "2023-07-10T12:00:00Z"},
    ]  # fmt: skip
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps({"body": body} | r) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(cli.main, ["eval", str(data), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "(1 stray) spans 2023-07-10 .. 2023-07-10 (+3 h 20 min)" in result.stdout
    scores = json.loads((tmp_path / "o" / "scores.json").read_text(encoding="utf-8"))
    (merge,) = scores["merges"]
    assert (merge["first"], merge["last"]) == ("2023-07-10T10:00:00Z", "2023-07-10T13:20:00Z")
    assert merge["span_days"] == pytest.approx(200 / 1440, abs=1e-4)


def test_eval_error_heading_spans_only_dated_merges():
    row = {"id": "t-000008", "stray_items": 9}
    assert cli.error_heading(row) == "t-000008 (9 stray)"  # a split: no span
    assert cli.error_heading(row | {"first": None, "last": None, "span_days": None}) == (
        "t-000008 (9 stray)"
    )
    dated = row | {"first": "2010-12-01T00:00:00Z", "last": "2012-12-13T00:00:00Z"}
    assert cli.error_heading(dated | {"span_days": 743.0}) == (
        "t-000008 (9 stray) spans 2010-12-01 .. 2012-12-13 (+743 days)"
    )


def test_installed_entry_point_help():
    script = shutil.which("storythreads", path=str(Path(sys.executable).parent))
    assert script, "the storythreads console script is not installed in this environment"
    done = subprocess.run(
        [script, "--help"], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "eval" in done.stdout


def _gold_file(tmp_path, bad_line: str) -> Path:
    rows = [
        {"id": "q1", "title": "Earthquake hits Anatolia", "gold_story_id": "quake",
         "body": "Rescuers search the rubble after the earthquake struck overnight."},
        {"id": "q2", "title": "Anatolia earthquake toll rises", "gold_story_id": "quake",
         "body": "Rescuers pull more survivors from the rubble of the earthquake."},
    ]  # fmt: skip
    data = tmp_path / "gold.jsonl"
    data.write_text(bad_line + "\n" + "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return data


def test_eval_skips_a_broken_json_line_like_run_does(runner, tmp_path):
    data = _gold_file(tmp_path, '{"id": "broken", "title": ')
    result = runner.invoke(cli.main, ["eval", str(data)])
    assert result.exit_code == 0, result.output
    assert "bcubed_f1" in result.stdout


def test_eval_skips_a_line_that_is_not_an_object(runner, tmp_path):
    data = _gold_file(tmp_path, "42")
    result = runner.invoke(cli.main, ["eval", str(data)])
    assert not isinstance(result.exception, TypeError), result.exception
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "code", "stream", "text"),
    [
        (["--version"], 0, "stdout", "backend: onnx; quantization: none (float32)"),
        (["run", "no-such-file.jsonl", "--out", "out"], 1, "stderr", "file not found"),
        (["no-such-command"], 2, "stderr", "No such command"),
    ],
)
def test_the_console_script_exits_with_the_commands_code_and_all_its_output(
    tmp_path, args, code, stream, text
):
    """`entry` (the installed script) leaves without tearing the interpreter down: the
    exit code and every line written must still come through."""
    script = "import sys; from storythreads.cli.commands import entry; sys.argv[0] = 'storythreads'; entry()"
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert text in getattr(done, stream)
