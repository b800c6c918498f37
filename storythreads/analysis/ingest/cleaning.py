"""Text as every input format cleans it: numbered lines, multi-line text, one-line text,
HTML entities."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

# C0 controls except \t and \n, DEL, and C1 controls (mis-decoded Windows-1252 leaves those).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def split_lines(text: str) -> list[str]:
    """Lines numbered as in the file: split on "\\n" only, so line N is the file's line N."""
    return list(iter_lines(text))


def iter_lines(text: str) -> Iterator[str]:
    """``split_lines``, one line at a time: an archive's text is not copied into a list."""
    start = 1 if text.startswith("\ufeff") else 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        yield line[:-1] if line.endswith("\r") else line
        if end < 0:
            return
        start = end + 1


def clean_text(value: str) -> str:
    """Multi-line text: newlines normalised, control characters dropped, ends trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def clean_line(value: str) -> str:
    """One-line text (titles, bylines, ids): every run of whitespace becomes one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def decode_entities(text: str) -> str:
    """HTML entities decoded, twice where a writer escaped them twice ("&amp;#39;")."""
    for _ in range(2):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return text
