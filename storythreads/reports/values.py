"""How single values are written in reports: times, anchors, safe URLs, Markdown-escaped
text, JSON-safe values and durations. Shared by the report and compare renderers."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit


def _utc(dt: datetime) -> datetime:
    """Naive datetimes are taken to be UTC already; aware ones are converted."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_time(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in 'Z' (sub-seconds only when present); None stays None."""
    return None if dt is None else _utc(dt).replace(tzinfo=None).isoformat() + "Z"


def when_text(dt: datetime | None, date_only: bool = False) -> str:
    """The human form used in Markdown and HTML: '2023-07-08 17:30 UTC', or '2013-01-23'
    for a time the input gave as a date only (no made-up midnight)."""
    if dt is None:
        return "undated"
    return _utc(dt).strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M UTC")


def time_span(first: datetime | None, last: datetime | None, date_only: bool = False) -> str:
    if first is None and last is None:
        return "undated"
    if first == last or last is None:
        return when_text(first, date_only)
    return f"{when_text(first, date_only)} – {when_text(last, date_only)}"


def round_score(value: float) -> float | None:
    """Rounded for a stable, readable contract; NaN/inf would make the JSON invalid."""
    value = float(value)
    return round(value, 4) if math.isfinite(value) else None


_NOT_PLAIN = re.compile(r"[^A-Za-z0-9-]+")


def anchor_id(key: str) -> str:
    """An id/fragment safe in HTML and Markdown: [A-Za-z0-9-] kept, other bytes '.XX'.

    Injective, so two post ids never share an anchor; and nothing in it needs escaping,
    in HTML or by ``md_escape`` (hence no leading '-'), so templates print it like any value.
    """
    out = _NOT_PLAIN.sub(_encoded, key)
    return ".2D" + out[1:] if out.startswith("-") else out


def _encoded(match: re.Match[str]) -> str:
    return "".join(f".{b:02X}" for b in match.group(0).encode())


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links; 'javascript:' and friends stay text."""
    if not url or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'*+,;=%~")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MD_LEADING = re.compile(r"^(\d+[.)](?=\s|$)|[-+=])")  # list item, rule or underline


def names_md(names: Iterable[str], shown: int = 12) -> str:
    """The first ``shown`` names in order, escaped, and how many more."""
    names = sorted(names)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(md_escape(n) for n in names[:shown]) + more


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows of one shape as CSV text, a header first ("" for no rows)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def md_escape(value: object) -> str:
    """Inline Markdown that renders as the literal text: one line, punctuation escaped.

    Backslash escapes also hold inside link destinations, so an escaped http(s) URL
    still points where it did.
    """
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    return _MD_LEADING.sub(lambda m: f"{m[0][:-1]}\\{m[0][-1]}", text)


# -- the JSON contract -----------------------------------------------------------------


def jsonable(value: object) -> Any:
    """Free-form parts of a Run (counts, changes) as JSON values, datetimes as 'Z' strings."""
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
