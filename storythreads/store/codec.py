"""How values are written to the store's text columns and read back: times, cited sentences.

Its own module so that database.py (which reads) and save.py (which writes) share the two
halves of each encoding without importing each other in a cycle.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..types import Citation


def time_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def citation_json(c: Citation) -> dict[str, str | float | None]:
    """A cited sentence as JSON; ``citations_from_json`` reads a list of these back."""
    return {
        "text": c.text,
        "post_id": c.post_id,
        "published": time_text(c.published),
        "byline": c.byline,
        "score": c.score,
    }


def citations_from_json(text: str) -> tuple[Citation, ...]:
    """Cited sentences stored as JSON (``citation_json``) back into Citation values."""
    return tuple(
        Citation(c["text"], c["post_id"], parse_time(c["published"]), c["byline"], c["score"])
        for c in json.loads(text)
    )
