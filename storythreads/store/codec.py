"""How values are written to the store's text columns and read back: times, cited sentences.

Its own module so that database.py (which reads) and save.py (which writes) share the two
halves of each encoding without importing each other in a cycle.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..types import Citation


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _citation(c: Citation) -> dict:
    """A cited sentence as JSON; ``_citations`` reads a list of these back."""
    return {
        "text": c.text,
        "post_id": c.post_id,
        "published": _ts(c.published),
        "byline": c.byline,
        "score": c.score,
    }


def _citations(text: str) -> tuple[Citation, ...]:
    """Cited sentences stored as JSON (``_citation``) back into Citation values."""
    return tuple(
        Citation(c["text"], c["post_id"], _dt(c["published"]), c["byline"], c["score"])
        for c in json.loads(text)
    )
