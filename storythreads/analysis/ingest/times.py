"""A record's time as every input format reads it: ISO 8601, RFC 2822, live-blog stamps,
Unix epoch numbers, dates without a time and times without a date."""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from .cleaning import clean_line

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip

# Live blogs name a zone by its abbreviation. US and European ones follow daylight saving
# time, so they map to a place (zoneinfo applies the rule of that day), not to an offset.
_ZONES = {
    "ET": "America/New_York", "EDT": "America/New_York", "EST": "America/New_York",
    "CT": "America/Chicago", "CDT": "America/Chicago", "CST": "America/Chicago",
    "MT": "America/Denver", "MDT": "America/Denver", "MST": "America/Denver",
    "PT": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PST": "America/Los_Angeles",
    "GMT": "UTC", "UTC": "UTC", "BST": "Europe/London",
    "CET": "Europe/Paris", "CEST": "Europe/Paris",
}  # fmt: skip

# "1:30 p.m. ET, July 8, 2023" (also "1:30pm", "17:30 GMT, Jul. 8, 2023", no zone = UTC).
_STAMP = re.compile(
    r"^(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?"
    r"(?:\s+(?P<zone>[a-z]{2,5}))?"
    r"\s*,?\s+(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$",
    re.IGNORECASE,
)
_ISO_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
# A clock time with no date ("18:00" as the BBC blogs give it, "12.50 BST" as the
# Guardian's, "1:30pm ET") cannot be placed in time alone; it takes a date from its
# neighbours (ingest.common), and is never an error.
_CLOCK_ONLY = re.compile(
    r"^(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?(?:\s+(?P<zone>[a-z]{2,5}))?$",
    re.IGNORECASE,
)
# dates in other languages ("Seg, 24 Set 2018 19:42:40 -0300", "9 ottobre 2023 10:15"):
# read by dateparser, only where the rules above fail; a day, a month and a year are
# required, and a time without a zone is UTC as everywhere else
_FOREIGN_DATES = {
    "PARSERS": ["absolute-time"],  # never "3 hours ago" or "65.06 sek." as now
    "STRICT_PARSING": True,
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
}

# A football match minute ("45'", "90+3'"): an order, not a time.
_MINUTE = re.compile(r"^\d{1,3}(?:\s?\+\s?\d{1,2})?\s?['’′]$")

# A calendar date and nothing else: the post is dated to the day, not to an instant.
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_stamp(line: str) -> bool:
    """Whether a line is a live-blog post time, e.g. "1:30 p.m. ET, July 8, 2023"."""
    line = clean_line(line)
    if _ISO_LINE.match(line):
        return True
    match = _STAMP.match(line)
    return match is not None and match["month"].lower() in _MONTHS


def stamp_kind(text: str) -> str | None:
    """What a short text shown as a post's stamp is: "time" (a date and time, any
    language), "clock" (a time of day), "minute" (a match minute), else None."""
    text = clean_line(text)
    if not text or len(text) > 40 or not any(c.isdigit() for c in text):
        return None
    if _MINUTE.match(text):
        return "minute"
    try:
        if clock_time(text) is not None:
            return "clock"
    except ValueError:
        return None
    if _DATE_ONLY.match(text):
        return None  # a day, not the time of an update
    try:
        return "time" if parse_time(text, foreign=False) is not None else None
    except (ValueError, TypeError, OverflowError):
        return None


def relative_time(text: str, base: datetime, languages: list[str] | None) -> datetime | None:
    """The time a stamp relative to a page's save names ("16 min ago", "vor 2 Stunden"),
    counted back from ``base``, in whole minutes; None for any other text. dateparser reads
    it in the page's ``languages`` (None: it guesses, slowly)."""
    text = clean_line(text)
    if not text or len(text) > 40 or not any(c.isdigit() for c in text) or _YEAR.search(text):
        return None
    import dateparser

    naive = base.astimezone(UTC).replace(tzinfo=None)
    found = dateparser.parse(
        text, languages=languages, settings={"PARSERS": ["relative-time"], "RELATIVE_BASE": naive}
    )
    if found is None or found.tzinfo is not None or found >= naive:
        return None
    back = (naive - found).total_seconds()
    return found.replace(tzinfo=UTC) if back % 60 == 0 else None  # "65.06 sek." is no stamp


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a time without a zone is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def is_date_only(value: object) -> bool:
    """Whether a record's time is a calendar date with no time of day ("2013-01-23")."""
    return isinstance(value, str) and bool(_DATE_ONLY.match(clean_line(value)))


def parse_time(value: object, foreign: bool = True) -> datetime | None:
    """A record's time as aware UTC; None when it gives none. ValueError when unreadable.

    TypeError for values that are not text, numbers or datetimes (a list, an object).

    Accepts ISO 8601, RFC 2822 (feeds), live-blog stamps, and Unix epoch numbers (seconds,
    or milliseconds when the number is too large to be seconds); with ``foreign``, dates
    in other languages too (dateparser: slow where it fails, so not for guessing).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a usable Unix time") from exc
    if not isinstance(value, str):
        raise TypeError(f"expected a string or a number, got {type(value).__name__}")
    text = clean_line(value)
    if not text or _CLOCK_ONLY.match(text):
        return None
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    match = _STAMP.match(text)
    if match:
        return _stamp_time(match)
    try:
        return to_utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    found = _foreign_date(text) if foreign else None
    if found is None:
        raise ValueError(f"{value!r} is not a date this tool can read")
    return found


_YEAR = re.compile(r"(?<!\d)(?:1[89]|2[0-9])\d\d(?!\d)")


@lru_cache(maxsize=4096)
def _foreign_date(text: str) -> datetime | None:
    if not _YEAR.search(text):  # a date needs its year (dateparser would take this one's)
        return None
    import dateparser  # imported here: its language data loads in about a second

    found = dateparser.parse(text, settings=_FOREIGN_DATES)
    return to_utc(found) if found is not None else None


def _stamp_time(match: re.Match[str]) -> datetime:
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        raise ValueError(f"unknown month {match['month']!r}")
    hour, minute = int(match["hour"]), int(match["minute"])
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with a.m./p.m.")
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    local = datetime(int(match["year"]), month, int(match["day"]), hour, minute)
    zone = (match["zone"] or "UTC").upper()
    if zone not in _ZONES:
        raise ValueError(f"unknown time zone {match['zone']!r}")
    return local.replace(tzinfo=ZoneInfo(_ZONES[zone])).astimezone(UTC)


@dataclass(frozen=True)
class Clock:
    """A time of day without a date: "08:00", "12.50 BST", "1:30 p.m. ET"."""

    hour: int
    minute: int
    second: int
    zone: str | None  # an IANA zone name; None when the stamp names none

    def on(self, day: date, where: tzinfo | None = None) -> datetime:
        """This time of day on a given day, as aware UTC: in its own zone (that day's rule),
        else in ``where`` (the page's own offset), else in UTC."""
        local = datetime(day.year, day.month, day.day, self.hour, self.minute, self.second)
        zone = ZoneInfo(self.zone) if self.zone else (where or UTC)
        return local.replace(tzinfo=zone).astimezone(UTC)


def clock_time(value: object) -> Clock | None:
    """A time of day without a date ("08:00", "12.50 BST"); None for any other value.
    ValueError for a clock that is no time of day ("25:61") or names an unknown zone."""
    if not isinstance(value, str):
        return None
    match = _CLOCK_ONLY.match(clean_line(value))
    if match is None:
        return None
    hour, minute, second = (int(match[k] or 0) for k in ("hour", "minute", "second"))
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"{value!r}: hour {hour} with a.m./p.m.")
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{value!r} is no time of day")
    zone = match["zone"] or ""
    if zone.upper() in _ZONES:
        zone = zone.upper()
    elif not zone.isupper():  # "12.31 Uhr": a word for o'clock, not a zone
        zone = ""
    if zone and zone not in _ZONES:
        raise ValueError(f"{value!r}: unknown time zone {match['zone']!r}")
    return Clock(hour, minute, second, _ZONES[zone] if zone else None)
