"""From file names to one sorted list of posts: load, decode, pick the format, merge.

Everything about files as files lives here (missing, binary, empty; encodings in
``decoding``), so each format reader gets clean text and only has to know its own syntax.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem, unique_posts
from . import csv_posts, feeds, html, jsonl, liveblog_text
from .common import duplicate_message
from .decoding import UTF16_BOMS, decode, decode_preview
from .times import is_stamp

# read(path, text, limits, source=None) -> (posts, problems). `source` fills in the outlet
# before ids are made, so an id always matches the post's final source.
Reader = Callable[..., tuple[list[Post], list[Problem]]]

FORMATS: dict[str, Reader] = {
    "liveblog": liveblog_text.read,
    "jsonl": jsonl.read,
    "csv": csv_posts.read,
    "html": html.read,
    "feed": feeds.read,
}

_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "liveblog",
    ".html": "html", ".htm": "html", ".xml": "feed", ".rss": "feed", ".atom": "feed",
}  # fmt: skip


@dataclass(frozen=True)
class IngestResult:
    """The posts of all inputs in (published, id) order, and what was skipped or repaired."""

    posts: tuple[Post, ...]
    problems: tuple[Problem, ...]


def sniff_format(path: Path, text: str) -> str:
    """The format of a file: by its extension, else by its first lines."""
    by_extension = _EXTENSIONS.get(Path(path).suffix.lower())
    if by_extension:
        return by_extension
    markup = _sniff_markup(text)
    if markup:
        return markup
    lines = [line.strip() for line in text.removeprefix("\ufeff").splitlines() if line.strip()]
    if lines and lines[0].startswith("{"):
        return "jsonl"
    if lines and "," in lines[0]:
        header = {cell.strip().lower() for cell in next(csv.reader([lines[0]]))}
        if header & {"text", "title", "body"}:
            return "csv"
    if any(is_stamp(line) for line in lines):
        return "liveblog"
    raise InputError(
        f"cannot tell the format of this file; use --format {'|'.join(FORMATS)}", path=str(path)
    )


def _sniff_markup(text: str) -> str | None:
    """The format of a file that starts with a tag ("html" or "feed"), by its root element."""
    head = text.removeprefix("\ufeff").lstrip()[:4096].lower()
    if not head.startswith("<"):
        return None
    if head.startswith(("<!doctype html", "<html")):
        return "html"
    if "<rss" in head or "<feed" in head or "<rdf:rdf" in head:
        return "feed"
    if "<html" in head:  # after an XML declaration or a comment
        return "html"
    return None


def read_posts(
    paths: Sequence[str | Path] | str | Path,
    format: str | None = None,
    limits: LimitSettings | None = None,
    source: str | None = None,
) -> IngestResult:
    """Reads every file; posts are deduplicated by id (first wins) and sorted by time.

    `format` applies to all files (None: sniff each one); `source` is the outlet of posts
    whose input names none. Record-level problems are returned; file-level ones raise
    InputError.
    """
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    limits = limits or LimitSettings()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input files given")
    kept: dict[str, Post] = {}
    problems: list[Problem] = []
    for path in map(Path, paths):
        posts, file_problems = read_file(path, format, limits, source)
        problems.extend(file_problems)
        for post in posts:  # a file has one post per id already; this merges files
            first = kept.get(post.id)
            if first is None:
                kept[post.id] = post
            elif first != post:
                problems.append(Problem(str(path), None, duplicate_message(post.id)))
                # the same rule as everywhere else, so argument order does not matter
                kept[post.id] = unique_posts([first, post])[0]
        if len(kept) > limits.max_posts:
            raise InputError(
                f"more than limits.max_posts ({limits.max_posts}) posts in total; "
                "raise the limit or read fewer files",
                path=str(path),
            )
    ordered = sorted(kept.values(), key=lambda post: post.sort_key)
    return IngestResult(posts=tuple(ordered), problems=tuple(problems))


_PREVIEW_BYTES = 1 << 16  # what a file of a known format is checked by before it is read


def known_format(path: Path, format: str | None) -> str | None:
    """The format given, else the one the file's extension names (None: to be sniffed)."""
    return format or _EXTENSIONS.get(path.suffix.lower())


def read_file(
    path: Path, format: str | None, limits: LimitSettings, source: str | None
) -> tuple[list[Post], list[Problem]]:
    """One file's posts, in file order, one per id, and its problems."""
    data = _load(path)
    where = str(path)
    # the format is told from a forgiving reading; the real one may depend on it (pages and
    # feeds declare their encoding). A format already known needs only the file's start.
    known = known_format(path, format)
    whole = not known or data.startswith(UTF16_BOMS) or len(data) <= _PREVIEW_BYTES
    preview = decode_preview(data if whole else data[:_PREVIEW_BYTES], where)
    if not preview.strip() and not whole:
        preview = decode_preview(data, where)
    if not preview.strip():
        raise InputError("file contains only whitespace", path=where)
    name = format or sniff_format(path, preview)
    del preview
    decoded = decode(data, where, markup=name in ("html", "feed"))
    del data  # an archive's bytes go before its posts are made
    posts, problems = FORMATS[name](path, decoded.text, limits, source=source)
    if decoded.note:
        problems = [Problem(where, decoded.line, decoded.note), *problems]
    return posts, problems


def _load(path: Path) -> bytes:
    where = str(path)
    if not path.exists():
        raise InputError("file not found", path=where)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=where)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=where) from exc
    if not data:
        raise InputError("file is empty", path=where)
    return data
