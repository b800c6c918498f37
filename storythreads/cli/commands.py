"""Command line: thin wrappers over the Python API; errors become exit codes here only.

Exit codes: 0 ok; 1 bad input (a file or record that cannot be used); 2 usage or settings;
3 store problem; 4 embedding model problem; 5 another run holds the store's lock.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..analysis.ingest import read_archive, read_posts
from ..config import Settings
from ..errors import InputError
from ..timefmt import duration
from . import engines
from .options import (
    BACKEND_OPTION,
    CONFIG_OPTION,
    EXISTING_STORE,
    FORMAT_OPTION,
    MODEL_OPTION,
    NLP_MODEL_OPTION,
    STORE_HELP,
    WAIT_HELP,
    WINDOW_OPTION,
    engine_options,
    handled,
    out_option,
    window_options,
)
from .progress import BacklogProgress, parse_posts
from .store import export_command, store_group

if TYPE_CHECKING:
    from ..store import Store
    from ..types import Problem


def _settings(
    config: str | None, model: str | None, backend: str | None = None, window: float | None = None
) -> Settings:
    settings = Settings.from_toml(config) if config else Settings()
    if window is not None:
        settings = settings.replace("report", window_days=window)
    if model:
        settings = settings.replace("embedding", model=model)
    if backend:
        settings = settings.replace("embedding", backend=backend)
    return settings


def _report_problems(problems: Sequence[Problem]) -> None:
    for problem in problems[:20]:
        click.echo(f"storythreads: skipped: {problem}", err=True)
    if len(problems) > 20:
        click.echo(f"storythreads: ... and {len(problems) - 20} more", err=True)
    if problems:
        click.echo(f"storythreads: {len(problems)} record(s) skipped or repaired", err=True)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from ..provenance import version_text

    click.echo(version_text())
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, the model (sha256 of its files), the backend and the "
    "libraries a run would use, and exit.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="On an error, print its traceback before the one-line message (for bug reports).",
)
def main(debug: bool) -> None:
    """Turn live blogs and news streams into story threads with cited reports."""


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@out_option("Directory for report.md, report.json and report.html.")
@FORMAT_OPTION
@click.option("--source", default=None, help="Outlet name for posts that carry none.")
@CONFIG_OPTION
@MODEL_OPTION
@click.option(
    "--store", "store_path", type=click.Path(dir_okay=False), default=None, help=STORE_HELP
)
@click.option("--no-store", is_flag=True, help="Keep nothing between runs (no store file).")
@click.option(
    "--wait", type=click.FloatRange(min=0), default=30.0, show_default=True, help=WAIT_HELP
)
@click.option(
    "--rethread", is_flag=True, help="Re-thread every stored post, even in a large store."
)
@click.option("--profile", is_flag=True, help="Print the seconds each stage took (to stderr).")
@BACKEND_OPTION
@engine_options
@window_options
@WINDOW_OPTION
@handled
def run(
    inputs: tuple[str, ...],
    out_dir: str,
    fmt: str | None,
    source: str | None,
    config: str | None,
    model: str | None,
    store_path: str | None,
    no_store: bool,
    wait: float,
    rethread: bool,
    since: datetime | None,
    until: datetime | None,
    window: float | None,
    profile: bool,
    backend: str | None,
    engine: str,
    ray_address: str | None,
) -> None:
    """Thread the posts in INPUTS (live-blog text, JSONL or CSV) and write reports to --out.

    With a store (the default), posts accumulate across runs: only new text is embedded,
    threads keep their ids, and the report opens with what changed since the last run.
    """
    from ..timing import StageTimer, profile_table

    timer = StageTimer()
    settings = _settings(config, model, backend, window)
    embedder = engines.engine_embedder(settings, engine, ray_address)
    engines.start_early(embedder)
    from ..jobs import Job, run_job

    # into a store, a large JSONL archive is not held: each window's posts are read in turn
    read = read_posts if no_store or rethread else read_archive
    with timer.stage("ingest"):
        result = read(list(inputs), format=fmt, limits=settings.limits, source=source)
    _report_problems(result.problems)
    if not result.posts:
        raise InputError("no usable posts in the input", path=", ".join(inputs))

    def say_store(store: Store) -> None:
        if earlier := store.post_count():
            click.echo(f"storythreads: adding to {store.path} ({earlier} earlier posts)", err=True)

    job = Job(
        out_dir=Path(out_dir),
        store=None if no_store else Path(store_path or Path(out_dir) / "store.sqlite"),
        rethread=rethread,
        wait=wait,
        since=since,
        until=until,
    )
    run_, written = run_job(
        job,
        result.posts,
        settings,
        embedder,
        problems=result.problems,
        timer=timer,
        on_store=say_store,
        progress=BacklogProgress(settings.store.backlog_window_posts),
    )
    c = run_.counts
    if "vectors" in run_.changes:
        click.echo(f"storythreads: note: {run_.changes['vectors']}", err=True)
    if profile:
        click.echo(profile_table(timer.seconds, c["segments_embedded"]), err=True)
    if "backlog_windows" in c:
        click.echo(f"storythreads: the backlog's {c['backlog_posts']} new posts are stored, in "
                   f"{c['backlog_windows']} windows; the last one's run:", err=True)  # fmt: skip
    click.echo(
        f"{c['posts']} posts -> {c['threads']} threads ({c['unthreaded']} unthreaded, "
        f"{c['segments_embedded']} segments embedded); wrote " + ", ".join(str(p) for p in written)
    )


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@out_option("Directory for compare.md, compare.html, compare.json and the CSV/Parquet tables.")
@FORMAT_OPTION
@CONFIG_OPTION
@MODEL_OPTION
@click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Add the posts to this store and compare over everything it holds.",
)
@click.option(
    "--terms",
    "top_terms",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Distinctive terms per outlet and thread.",
)
@click.option(
    "--groups",
    "group_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A CSV of outlet,group (e.g. ideology.csv: fox,right): every table is also made "
    "per group. Repeat for several groupings (ideology, country, owner).",
)
@NLP_MODEL_OPTION
@window_options
@handled
def compare(
    inputs: tuple[str, ...],
    out_dir: str,
    fmt: str | None,
    config: str | None,
    model: str | None,
    store_path: str | None,
    top_terms: int,
    group_files: tuple[str, ...],
    nlp_model: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Compare outlets: coverage, who reported first, distinctive words, voices, figures.

    Threads are built over all outlets together (an outlet is a post's source, or its URL's
    host); the tables are then computed per thread and per outlet.
    """
    from ..analysis.compare.groups import read_grouping, record_grouping
    from ..analysis.language.nlp import load_nlp
    from ..pipeline import analyze, update
    from ..reports import select_window
    from ..reports.compare_report import build_comparison, write_comparison
    from ..store import Store

    settings = _settings(config, model)
    groupings = [read_grouping(path) for path in group_files]  # bad files fail first
    nlp = load_nlp(nlp_model)  # a missing pipeline fails now, before any embedding
    result = read_posts(list(inputs), format=fmt, limits=settings.limits)
    _report_problems(result.problems)
    if not result.posts:
        raise InputError("no usable posts in the input", path=", ".join(inputs))
    embedder = engines.embedder(settings)
    if store_path:
        with Store(store_path) as store:
            store.lock(30)
            run_ = update(
                store, result.posts, settings, engines.embedder(settings), problems=result.problems
            )
            if run_.counts.get("mode") == "working set":  # compare over all the store holds
                run_ = store.load_run()
    else:
        run_ = analyze(result.posts, settings, embedder, problems=result.problems)
    window = select_window(run_, since, until)
    own = record_grouping(window.posts)  # the records' own `group` field, if any
    groupings = [*groupings, own] if own is not None else groupings
    comparison = build_comparison(
        window,
        top_terms,
        readings=parse_posts(window, nlp, embedder),
        rules=settings.compare,
        groupings=groupings,
    )
    written = write_comparison(comparison, out_dir, single_file=settings.report.single_file)
    outlets = len({p.source or "unknown" for p in comparison.run.posts})
    click.echo(
        f"{len(comparison.run.posts)} posts from {outlets} outlet(s) -> "
        f"{len(comparison.run.threads)} threads; wrote {len(written)} files to {out_dir}"
    )


@main.command()
@EXISTING_STORE
@out_option("Directory for the reports.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Settings file; only its [report] settings matter here.",
)
@window_options
@WINDOW_OPTION
@handled
def report(
    store_path: str,
    out_dir: str,
    config: str | None,
    since: datetime | None,
    until: datetime | None,
    window: float | None,
) -> None:
    """Re-render the latest run's reports from the store, without recomputing anything."""
    from ..reports import publish
    from ..store import Store

    settings = _settings(config, None, window=window)
    with Store(store_path, create=False) as store:
        run_ = store.load_run()
    written = publish(run_, out_dir, settings.report, since, until)
    click.echo("wrote " + ", ".join(str(p) for p in written))


@main.command()
@EXISTING_STORE
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--all", "show_all", is_flag=True, help="Include merged and retired threads.")
@handled
def threads(store_path: str, as_json: bool, show_all: bool) -> None:
    """List the store's threads with their history (born, continued, merged, split, dormant)."""
    from ..store import Store

    with Store(store_path, create=False) as store:
        rows = store.thread_history()
    if not show_all:
        rows = [r for r in rows if r["status"] in ("active", "dormant")]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        span = f"{(r['first_seen'] or '?')[:16]} .. {(r['last_seen'] or '?')[:16]}"
        click.echo(f"{r['id']}  {r['status']:<8} {r['posts']:>4} posts  {span}  {r['label']}")
        for e in r["history"]:
            other = f" {e['other']}" if e["other"] else ""
            click.echo(f"    {e['run']}: {e['event']}{other} {e['detail']}".rstrip())


def error_heading(row: dict[str, Any]) -> str:
    """'t-000008 (9 stray) spans 2010-12-01 .. 2012-12-13 (+743 days)': a merge over years is
    two events joined, which its headlines alone may not show. Splits and undated merges
    have no span."""
    text = f"{row['id']} ({row['stray_items']} stray)"
    if row.get("span_days") is None:
        return text
    span = duration(row["span_days"] * 24 * 60)
    return f"{text} spans {row['first'][:10]} .. {row['last'][:10]} ({span})"


@main.command("eval-voices")
@click.argument("gold_file", type=click.Path(dir_okay=False, exists=True))
@NLP_MODEL_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write voices-scores.json to this directory.",
)
@handled
def eval_voices(gold_file: str, nlp_model: str | None, out_dir: str | None) -> None:
    """Score quotes and attributions against attribution gold (PolNeAR-style JSONL).

    Each record: id, text, gold_attributions (source, cue, content with character spans,
    direct). A match is content word-level F1 >= 0.5 in the same article; prints
    precision, recall and F1 for direct quotes and for all attributions, and speaker
    accuracy (pronoun gold sources are not scored for speaker).
    """
    from ..analysis.evaluate.attribution import evaluate_attributions, format_scores

    result = evaluate_attributions(gold_file, nlp_model)
    click.echo(format_scores({"storythreads": result}))
    click.echo(
        f"{result['articles']} articles; parse {result['parse_seconds']:.1f} s, "
        f"extract {result['extract_seconds']:.1f} s; spaCy pipeline "
        f"{result['model']['name']} {result['model']['version']}"
    )
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        Path(out_dir, "voices-scores.json").write_text(json.dumps(result, indent=2) + "\n")


@main.command("eval")
@click.argument("input_file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--gold-field",
    default="gold_story_id",
    show_default=True,
    help="Field holding the reference story id; hidden from the pipeline.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write scores.json (and the reports) to this directory.",
)
@CONFIG_OPTION
@MODEL_OPTION
@BACKEND_OPTION
@handled
def evaluate(
    input_file: str,
    gold_field: str,
    out_dir: str | None,
    config: str | None,
    model: str | None,
    backend: str | None,
) -> None:
    """Score the threads of a JSONL file against a gold story field (BCubed, ARI, AMI)."""
    from ..analysis.evaluate.threads import evaluate_run, gold_labels
    from ..pipeline import analyze
    from ..reports import write_reports
    from ..reports.files import write_atomic

    settings = _settings(config, model, backend)
    gold = gold_labels(input_file, gold_field)
    # The reader ignores every gold field: the pipeline never sees the labels.
    result = read_posts([input_file], format="jsonl", limits=settings.limits)
    _report_problems(result.problems)
    run_ = analyze(result.posts, settings, engines.embedder(settings), problems=result.problems)
    found = evaluate_run(run_, gold, gold_field, input_file)
    for key, value in found.items():
        if key in ("merges", "splits"):
            continue
        shown = f"{value:.4f}" if isinstance(value, float) else value
        click.echo(f"{key:>18}: {shown}")
    for kind in ("merges", "splits"):
        click.echo(f"\nworst {kind}:")
        for row in found.get(kind, []):
            click.echo(f"  {error_heading(row)}")
            for part in row["parts"]:
                key = "gold" if "gold" in part else "thread"
                click.echo(f"    {part[key]} x{part['items']}: {part['example'][:90]}")
    if out_dir:
        write_reports(run_, out_dir, settings.report.formats)
        write_atomic(Path(out_dir, "scores.json"), (json.dumps(found, indent=2) + "\n").encode())


main.add_command(store_group)
main.add_command(export_command)


# young objects collected every 10,000 allocations (default 700), the whole heap only after
# 50 x 1,000 young collections: 0.16 s of collection on a 10,000-post run instead of 0.7 s
GC_THRESHOLDS = (10_000, 50, 1_000)


def entry() -> None:
    """The ``storythreads`` console script: ``main``, then an exit that skips tearing down
    the interpreter's objects.

    Everything a command writes is on disk (synced and renamed) and its store closed before
    ``main`` returns; freeing a run's objects one by one at exit is pure cost (0.8 s of a
    scheduled run on a 10,000-post store). A run that started Ray exits normally, so that
    Ray's own exit handler stops the local cluster it started.

    A command holds what it read for its whole life, so Python's full garbage collections,
    which walk every object, find next to nothing: on a scheduled run of 10,000 posts they
    ran 7 times for 0.6 s and freed no memory (peak resident size the same). The process
    collects less often instead (``GC_THRESHOLDS``).
    """
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        main()
        code: str | int | None = 0
    except SystemExit as exc:  # click always ends a standalone command this way
        code = exc.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = 0 if code is None else int(code)
    if "ray" in sys.modules:
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing to keep
            pass
    os._exit(status)
