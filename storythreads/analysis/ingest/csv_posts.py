"""CSV with a header row, as spreadsheets and scrapers export posts.

Named csv_posts, not csv, so that no tool that puts this folder on sys.path can mistake it
for the standard library's csv module.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem
from .cleaning import split_lines
from .common import PostSink

_TEXT_COLUMNS = {"text", "body", "title"}
# The standard field limit (128 KiB) is below limits.max_post_chars; the real limit on
# a post's size is checked per record, where it can be reported instead of failing.
_FIELD_LIMIT = 2**31 - 1


def read(
    path: Path, text: str, limits: LimitSettings, source: str | None = None
) -> tuple[list[Post], list[Problem]]:
    """Posts from CSV text; the header names the columns (case and order do not matter)."""
    sink = PostSink(path, limits, source)
    rows = csv.reader(io.StringIO("\n".join(split_lines(text))))
    old_limit = csv.field_size_limit(_FIELD_LIMIT)
    try:
        header: list[str] | None = None
        start = 1
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", path=str(path), line=start) from exc
            line, start = start, rows.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                _check_header(path, header, line)
                continue
            extra = row[len(header) :]
            if any(cell.strip() for cell in extra):
                sink.problem(
                    line,
                    f"row has {len(row)} fields but the header has {len(header)}; skipped",
                )
                continue
            record: dict[str, str] = {}
            # a short row gives the fields it has; blank cells past the header are dropped
            for name, cell in zip(header, row, strict=False):
                record.setdefault(name, cell)  # a repeated column: the first one counts
            sink.add_record(record, line)
    finally:
        csv.field_size_limit(old_limit)
    if header is None:
        raise InputError("CSV file has no header row", path=str(path))
    return sink.result()


def _check_header(path: Path, header: list[str], line: int) -> None:
    if not _TEXT_COLUMNS & set(header):
        raise InputError(
            f"CSV header needs a 'text', 'body' or 'title' column; found {header}",
            path=str(path),
            line=line,
        )
