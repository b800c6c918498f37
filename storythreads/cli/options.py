"""Options shared by several CLI commands (one definition each, the same help everywhere),
and the one way every command fails: a one-line error and its exit code."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click

from ..config import EMBEDDING_BACKENDS
from ..errors import StoryThreadsError

FORMAT_CHOICES = click.Choice(["liveblog", "jsonl", "csv", "html", "feed"])

_F = TypeVar("_F", bound=Callable[..., Any])
_P = ParamSpec("_P")
_R = TypeVar("_R")

if TYPE_CHECKING:
    _WhenType = click.ParamType[datetime, str | datetime]
    _WindowType = click.ParamType[float, str | float]
else:  # ParamType is generic only from click 8.4 on (the project allows click 8.1)
    _WhenType = _WindowType = click.ParamType


class _When(_WhenType):
    """An ISO 8601 date or time; without a zone it is taken as UTC."""

    name = "datetime"

    def convert(
        self, value: str | datetime, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date or time (e.g. 2023-07-08T12:00)")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


WHEN = _When()


class _Window(_WindowType):
    """Days of a report's window, or "all" (0: every thread)."""

    name = "DAYS|all"

    def convert(
        self, value: str | float, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        if str(value).strip().lower() == "all":
            return 0.0
        try:
            days = float(value)
        except ValueError:
            days = -1.0
        if not 0 <= days <= 36_500:
            self.fail(f"{value!r} is not a number of days (0 to 36500) or 'all'")
        return days


WINDOW = _Window()
STORE_HELP = "SQLite store (default: OUT/store.sqlite). Keeps posts, vectors, threads, runs."
WAIT_HELP = "Seconds to wait for another run's lock on the store before exiting with code 5."


# `run` and `report`: how many days of threads the report shows
WINDOW_OPTION = click.option(
    "--window",
    type=WINDOW,
    default=None,
    help="Report the threads active in the last DAYS days before the newest post, or "
    "'all' of them (report.window_days; default 7). Older threads are in archive/.",
)


def window_options(command: _F) -> _F:
    command = click.option(
        "--until", type=WHEN, default=None, help="Report only posts published before this time."
    )(command)
    return click.option(
        "--since",
        type=WHEN,
        default=None,
        help="Report only posts published at or after this time.",
    )(command)


EXISTING_STORE = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, exists=True),
    required=True,
    help="The store a previous `run` wrote.",
)

# `store check` and `store restore`: a store that is missing or damaged is theirs to report
# (exit 3) or to put back, so the path need not exist
STORE_FILE = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The store (`run --store`, default OUT/store.sqlite).",
)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=FORMAT_CHOICES,
    default=None,
    help="Input format for all INPUTS (default: sniffed per file).",
)
CONFIG_OPTION = click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Settings file (TOML) with [embedding], [cluster], [report] ... sections.",
)

MODEL_OPTION = click.option(
    "--model",
    default=None,
    help="Embedding model: a packaged name or a local sentence-transformers directory.",
)
NLP_MODEL_OPTION = click.option(
    "--nlp-model",
    default=None,
    metavar="NAME_OR_PATH",
    help="spaCy pipeline for voices and figures: an installed package name or a directory "
    "(default: the small English pipeline make setup installs; en_core_web_trf parses better).",
)
BACKEND_OPTION = click.option(
    "--backend",
    type=click.Choice(EMBEDDING_BACKENDS),
    default=None,
    help="Embedding backend (overrides embedding.backend): torch, or onnx / onnx-int8 "
    "with the onnx extra.",
)


def engine_options(command: _F) -> _F:
    command = click.option(
        "--ray-address",
        default=None,
        help="Ray cluster to join with --engine ray: 'auto' on a node of a running "
        "cluster, or HEAD:6379; default: a local Ray on this machine.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(["local", "inline", "ray"]),
        default="local",
        show_default=True,
        help="Where new segments are embedded: a child process that exits before threading "
        "(local: the model's memory is free again for the rest of the run), this process "
        "(inline), or a Ray cluster (ray extra).",
    )(command)


def out_option(help_text: str) -> Callable[[_F], _F]:
    return click.option(
        "--out", "out_dir", required=True, type=click.Path(file_okay=False), help=help_text
    )


def debug_wanted() -> bool:
    """Whether `storythreads --debug` was given (errors then print their traceback too)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def fail(exc: StoryThreadsError) -> NoReturn:
    """Print the one-line error (its traceback first with --debug) and exit with its code."""
    if debug_wanted():
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"storythreads: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def fail_io(exc: OSError) -> NoReturn:
    """An output that cannot be written: one line, exit code 1."""
    if debug_wanted():
        traceback.print_exception(exc, file=sys.stderr)
    where = exc.filename or "output"
    click.echo(f"storythreads: error: {where}: cannot write: {exc.strerror or exc}", err=True)
    sys.exit(1)


def handled(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """A command whose errors end it as the CLI promises: a StoryThreadsError as its one
    line and its exit code (``fail``), an OSError as a bad-input or bad-output line with
    exit code 1 (``fail_io``). Every command is wrapped in it, so none repeats the rule."""

    @functools.wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except StoryThreadsError as exc:
            fail(exc)
        except OSError as exc:
            fail_io(exc)

    return wrapper
