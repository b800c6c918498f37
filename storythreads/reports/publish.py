"""A run's report folder: the windowed reports, their assets, and the archive of threads.

What `storythreads run` and `storythreads report` write (each calls ``publish``):
report.md, report.json and report.html over the threads active in the last
``report.window_days`` (or over ``--since``/``--until``), plotly.js once in ``assets/``
(inside report.html with ``report.single_file``), and a page per thread in
``archive/`` (reports.archive), rewritten only when the thread changed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..config import ReportSettings
from ..types import Run
from .archive import write_archive
from .render import write_reports
from .window import recent_window, select_window


def publish(
    run: Run,
    out_dir: str | Path,
    report: ReportSettings,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Path]:
    """Write ``run``'s report folder; return the report files' paths (the archive's pages
    are not listed). A window given by ``since``/``until`` replaces the recent one."""
    if since is not None or until is not None:
        shown = select_window(run, since, until)
    else:
        shown = recent_window(run, report.window_days)
    written = write_reports(shown, out_dir, report.formats, single_file=report.single_file)
    write_archive(run, out_dir, report.formats)
    return written
