"""`storythreads store check | restore`: an operator's way to see a store's health and to
put back its last good snapshot (the snapshots themselves are kept by every run); and
`storythreads export`, the store's data out for other tools."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ..errors import StoreError
from .options import EXISTING_STORE, STORE_FILE, WAIT_HELP, fail, handled, out_option

if TYPE_CHECKING:
    from ..store.health import StoreHealth


@click.group("store")
def store_group() -> None:
    """Check a store, or put back its last good snapshot.

    Before each run changes the store, a copy of it as it is is kept in STORE.snapshots/
    (the newest `store.snapshots` copies, default 3; settings file [store]).
    """


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _print_health(health: StoreHealth) -> None:
    e = health.examined
    status = e.status if not e.problem else f"{e.status} ({e.problem})"
    click.echo(f"{health.path}: {status}")
    click.echo(f"  checked in {e.seconds:.3f} s (SQLite quick_check)")
    if e.schema is not None:
        from ..store import MIGRATIONS

        click.echo(f"  schema {e.schema} (this storythreads reads up to {len(MIGRATIONS)})")
    if e.counts:
        shown = ", ".join(f"{n if n is not None else '?'} {name}" for name, n in e.counts.items())
        click.echo(f"  {shown}")
    click.echo(f"  snapshots: {len(health.snapshots)} ({health.good_snapshots()} good)")
    for s in health.snapshots:
        taken = s.taken.strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(f"    {taken}  {_size(s.size):>9}  {s.examined.status:<8} {s.path}")


def _health_error(health: StoreHealth) -> StoreError:
    """The one line `store check` ends with when the store is not ok."""
    from ..store.faults import damaged

    e = health.examined
    if e.status == "damaged":
        return damaged(health.path, e.problem or "", health.good_snapshots())
    return StoreError(f"{health.path}: {e.problem}")


@store_group.command("check")
@STORE_FILE
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handled
def store_check(store_path: str, as_json: bool) -> None:
    """Check the store with SQLite's quick_check; print its counts and snapshots.

    Exit code 0 when it is sound, 3 when it is damaged, missing or not a store this
    version can read. Nothing is written to it.
    """
    from ..store import check_store

    health = check_store(store_path)
    if as_json:
        click.echo(json.dumps(health.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_health(health)
    if not health.ok:
        fail(_health_error(health))


@store_group.command("restore")
@click.argument("snapshot", required=False)
@STORE_FILE
@click.option(
    "--wait", type=click.FloatRange(min=0), default=30.0, show_default=True, help=WAIT_HELP
)
@handled
def store_restore(snapshot: str | None, store_path: str, wait: float) -> None:
    """Put back SNAPSHOT (default: the newest one that passes the check) as the store.

    SNAPSHOT is a file name in STORE.snapshots/ (as `store check` lists them) or a path.
    The snapshot is checked first; the file it replaces is moved aside as
    STORE.damaged-<time> (STORE.replaced-<time> when it was sound), never deleted.
    """
    from ..store import restore

    done = restore(store_path, snapshot, wait)
    for path, why in done.skipped:
        click.echo(f"storythreads: skipped snapshot {path}: {why}", err=True)
    taken = done.snapshot.taken.strftime("%Y-%m-%d %H:%M:%S UTC")
    kept = f"; the store it replaced is kept as {done.aside}" if done.aside else ""
    click.echo(f"restored {done.store} from {done.snapshot.path} (taken {taken}){kept}")


@click.command("export")
@EXISTING_STORE
@out_option("Directory for posts, threads, links and lineage (.csv, .jsonl, .parquet).")
@handled
def export_command(store_path: str, out_dir: str) -> None:
    """Write every post with its thread (and `also` threads), every thread, every link and
    every lineage event of the store as CSV and JSONL (Parquet too with pyarrow), streamed,
    for other tools (report.json holds the report's window only)."""
    from ..export import export_store

    written = export_store(store_path, out_dir)
    click.echo("wrote " + ", ".join(str(p) for p in written))
