"""Text as every input format cleans it: numbered lines, multi-line text, one-line text."""

from __future__ import annotations

import re

# C0 controls except \t and \n, DEL, and C1 controls (mis-decoded Windows-1252 leaves those).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def split_lines(text: str) -> list[str]:
    """Lines numbered as in the file: split on "\\n" only, so line N is the file's line N."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")


def clean_text(value: str) -> str:
    """Multi-line text: newlines normalised, control characters dropped, ends trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def clean_line(value: str) -> str:
    """One-line text (titles, bylines, ids): every run of whitespace becomes one space."""
    return " ".join(_CONTROL.sub(" ", value).split())
