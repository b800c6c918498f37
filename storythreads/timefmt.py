"""Time spans as a person writes them ("+3 h 20 min", "+1 day 2 h", "+743 days").

At the package top level, not in ``reports``, because both the reports (compare lags) and
the analysis side (``eval``'s merge spans) print them, and ``analysis`` must not import
``reports``.
"""

from __future__ import annotations

import math

_HOUR = 60
_DAY = 24 * _HOUR


def _half_up(value: float) -> int:
    """Round halves up (not to even) so 30 s always reads as the next minute."""
    return math.floor(value + 0.5)


def duration(minutes: float) -> str:
    """A lag or span in at most two units, largest first: '+12 min', '+2 h 5 min',
    '+1 day 2 h'.

    Rounded to whole minutes; over a day the second unit is hours, rounded to the nearest
    hour (minutes would be noise next to days). Days are never folded into weeks or years,
    so two spans compare at a glance ('+605 days'). A zero second unit is left out ('+1 h').
    """
    if not math.isfinite(minutes):
        raise ValueError(f"a duration needs a finite number of minutes, got {minutes}")
    sign = "-" if minutes < 0 else "+"
    total = _half_up(abs(minutes))
    if total < _HOUR:
        return f"{sign}{total} min"
    if total < _DAY:
        return sign + _two(divmod(total, _HOUR), "h", "min")
    days, hours = divmod(_half_up(total / _HOUR), 24)
    return sign + _two((days, hours), "day" if days == 1 else "days", "h")


def _two(parts: tuple[int, int], big: str, small: str) -> str:
    """'3 h 20 min', or '3 h' when the smaller part is zero."""
    high, low = parts
    return f"{high} {big} {low} {small}" if low else f"{high} {big}"
