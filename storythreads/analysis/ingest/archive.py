"""An archive read without holding it (issue 34): a JSON Lines file of a million posts.

``read_posts`` holds every post, text and all: a year of fifty outlets (a gigabyte of
JSONL) would not fit beside the threading. ``read_archive`` reads the same files by the
same rules, giving the same posts and the same problems, but a JSONL file larger than
``STREAM_BYTES`` is read line by line, and of each post it keeps only where it lies and
what it was: its id, time, content hash and the line's place in the file (about 150 bytes
a post, where the post itself holds its text). A post is read again from its line when it
is asked for, and checked to be the post it was; a file changed under a run is an error,
not another post.

What one line alone would not give again is held whole: a post the reader changed after
building it (a time of day dated from a neighbour, one of two records with one id), and
every post of the other files (pages, feeds, CSV, a small JSONL file, a file that is not
UTF-8 throughout, which ``decoding`` reads line by line as a whole).

The ``Archive`` is a ``Sequence[Post]`` in (time, id) order, so whatever takes posts
takes it; a backlog (``pipeline.backlog``) asks it only for each window's posts.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, overload

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem, unique_posts
from . import jsonl
from .common import PostSink, duplicate_message
from .decoding import UTF16_BOMS
from .reading import known_format, read_file

STREAM_BYTES = 16 << 20  # a JSONL file over this is read line by line
_UTF8_BOM = b"\xef\xbb\xbf"
_CHUNK = 4096  # posts read again at a time


class _Unstreamable(Exception):
    """A line that is not UTF-8: the file is read whole, as ``read_posts`` reads it."""


class _Records:
    """Where each post lies, in flat arrays (a record's number indexes them all), and the
    posts held whole. Reads a streamed post again from its line."""

    def __init__(self, limits: LimitSettings, source: str | None):
        self.limits = limits
        self.source = source
        self.paths: list[Path] = []
        self.ids: list[str] = []
        self.times = array("d")  # POSIX seconds; inf: undated
        self.shas = bytearray()  # 32 bytes a record
        self.files = array("l")
        self.offsets = array("q")
        self.lengths = array("q")
        self.whole: dict[int, Post] = {}
        self._open: dict[int, IO[bytes]] = {}

    def add(self, post: Post, file: int, offset: int = 0, length: int = 0) -> int:
        self.ids.append(post.id)
        self.times.append(post.sort_key[0])
        self.shas += bytes.fromhex(post.content_sha)
        self.files.append(file)
        self.offsets.append(offset)
        self.lengths.append(length)
        return len(self.ids) - 1

    def hold(self, record: int, post: Post) -> None:
        """The record is this post, held whole (its line alone would not give it)."""
        self.whole[record] = post
        self.times[record] = post.sort_key[0]
        self.shas[32 * record : 32 * record + 32] = bytes.fromhex(post.content_sha)

    def sort_key(self, record: int) -> tuple[float, str]:
        return (self.times[record], self.ids[record])

    def content_sha(self, record: int) -> str:
        return self.shas[32 * record : 32 * record + 32].hex()

    def published(self, record: int) -> datetime | None:
        ts = self.times[record]
        return None if math.isinf(ts) else datetime.fromtimestamp(ts, UTC)

    def post(self, record: int) -> Post:
        held = self.whole.get(record)
        if held is not None:
            return held
        file = self.files[record]
        path = self.paths[file]
        handle = self._open.get(file)
        if handle is None:
            handle = self._open[file] = path.open("rb")
        handle.seek(self.offsets[record])
        line = handle.read(self.lengths[record]).decode("utf-8", errors="replace")
        sink = PostSink(path, self.limits, self.source)
        jsonl.add_line(sink, 0, line)
        posts, _ = sink.result()
        if len(posts) != 1 or (posts[0].sort_key, posts[0].content_sha) != (
            self.sort_key(record),
            self.content_sha(record),
        ):
            raise InputError(
                f"changed while this run read it (post {self.ids[record]}); run it again",
                path=str(path),
            )
        return posts[0]

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()


class _Shelf(MutableMapping[str, Post]):
    """A streamed file's posts for its ``PostSink``: the record of each post by id, in
    file order; ``here`` is the place of the line being read."""

    def __init__(self, records: _Records, file: int):
        self.records = records
        self.file = file
        self.index: dict[str, int] = {}
        self.here = (0, 0)  # offset, length

    def __getitem__(self, key: str) -> Post:
        return self.records.post(self.index[key])

    def __setitem__(self, key: str, post: Post) -> None:
        record = self.index.get(key)
        if record is None:
            self.index[key] = self.records.add(post, self.file, *self.here)
        else:  # the sink chose between two records, or dated a time of day
            self.records.hold(record, post)

    def __delitem__(self, key: str) -> None:
        del self.index[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


class Archive(Sequence[Post]):
    """Posts in (time, id) order, read from their files as they are asked for, and the
    problems of reading them (``read_archive``)."""

    def __init__(self, records: _Records, order: list[int], problems: Sequence[Problem]):
        self._records = records
        self._order = order
        self.problems = tuple(problems)

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> Post: ...

    @overload
    def __getitem__(self, index: slice) -> list[Post]: ...

    def __getitem__(self, index: int | slice) -> Post | list[Post]:
        if isinstance(index, slice):
            return self._read(self._order[index])
        return self._records.post(self._order[index])

    def __iter__(self) -> Iterator[Post]:
        for start in range(0, len(self._order), _CHUNK):
            yield from self._read(self._order[start : start + _CHUNK])

    @property
    def posts(self) -> Archive:
        """Itself: an archive stands where an ``IngestResult`` does (``.posts``,
        ``.problems``)."""
        return self

    @property
    def ids(self) -> list[str]:
        return [self._records.ids[r] for r in self._order]

    def times(self) -> list[datetime | None]:
        """Each post's time, in order, without reading a post."""
        return [self._records.published(r) for r in self._order]

    def unstored(
        self, stamps: Callable[[Iterable[str]], Mapping[str, tuple[str, str | None]]]
    ) -> Archive:
        """The posts not held as they are by a store whose ``post_stamps`` is ``stamps``
        (new or edited), asked a slice at a time."""
        records, keep = self._records, []
        for start in range(0, len(self._order), 50_000):
            part = self._order[start : start + 50_000]
            held = stamps(records.ids[r] for r in part)
            keep += [r for r in part if held.get(records.ids[r], ("",))[0]
                     != records.content_sha(r)]  # fmt: skip
        return Archive(records, keep, self.problems)

    def _read(self, order: list[int]) -> list[Post]:
        """Posts of ``order`` read in file order (a disk reads forward), returned in order."""
        by_place = sorted(order, key=lambda r: (self._records.files[r], self._records.offsets[r]))
        read = {r: self._records.post(r) for r in by_place}
        return [read[r] for r in order]

    def close(self) -> None:
        self._records.close()


def read_archive(
    paths: Sequence[str | Path] | str | Path,
    format: str | None = None,
    limits: LimitSettings | None = None,
    source: str | None = None,
    stream_bytes: int | None = None,
) -> Archive:
    """``read_posts`` for an archive of any size (see the module doc): the same posts,
    in the same order, with the same problems; JSONL files over ``stream_bytes`` (default
    ``STREAM_BYTES``) are not held."""
    limits = limits or LimitSettings()
    stream_bytes = STREAM_BYTES if stream_bytes is None else stream_bytes
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input files given")
    records = _Records(limits, source)
    kept: dict[str, int] = {}
    problems: list[Problem] = []
    for path in map(Path, paths):
        file = len(records.paths)
        records.paths.append(path)
        index, file_problems = _read_one(records, file, format, stream_bytes)
        problems.extend(file_problems)
        for post_id, record in index.items():  # read_posts' rule for one id in two files
            first = kept.get(post_id)
            if first is None:
                kept[post_id] = record
                continue
            old, new = records.post(first), records.post(record)
            if old != new:
                problems.append(Problem(str(path), None, duplicate_message(post_id)))
                if unique_posts([old, new])[0] is new:
                    kept[post_id] = record
        if len(kept) > limits.max_posts:
            raise InputError(
                f"more than limits.max_posts ({limits.max_posts}) posts in total; "
                "raise the limit or read fewer files",
                path=str(path),
            )
    order = sorted(kept.values(), key=records.sort_key)
    return Archive(records, order, problems)


def _read_one(
    records: _Records, file: int, format: str | None, stream_bytes: int
) -> tuple[dict[str, int], list[Problem]]:
    """One file's posts as records by id, in file order, and its problems."""
    path = records.paths[file]
    if known_format(path, format) == "jsonl" and path.is_file():
        if path.stat().st_size > stream_bytes:
            try:
                return _stream(records, file)
            except _Unstreamable:
                pass
    posts, problems = read_file(path, format, records.limits, records.source)
    index = {}
    for post in posts:
        record = index[post.id] = records.add(post, -1)
        records.hold(record, post)
    return index, problems


def _stream(records: _Records, file: int) -> tuple[dict[str, int], list[Problem]]:
    """A JSONL file read line by line, as ``jsonl.read`` reads its text."""
    path = records.paths[file]
    shelf = _Shelf(records, file)
    sink = PostSink(path, records.limits, records.source, posts=shelf)
    blank = True
    with path.open("rb") as handle:
        offset = 0
        for number, raw in enumerate(handle, start=1):
            start = offset
            offset += len(raw)
            if number == 1 and raw.startswith(UTF16_BOMS):
                raise _Unstreamable
            skip = 3 if number == 1 and raw.startswith(_UTF8_BOM) else 0
            body = raw[skip:]
            body = body[:-1] if body.endswith(b"\n") else body
            body = body[:-1] if body.endswith(b"\r") else body
            if b"\x00" in body:
                raise InputError("looks like a binary file (it contains NUL bytes)", path=str(path))
            try:
                line = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _Unstreamable from None
            blank = blank and not line.strip()
            shelf.here = (start + skip, len(body))
            jsonl.add_line(sink, number, line)
    if blank:
        raise InputError("file is empty" if offset == 0 else "file contains only whitespace",
                         path=str(path))  # fmt: skip
    sink.finish()
    return shelf.index, sink.problems
