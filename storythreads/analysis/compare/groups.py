"""Outlets gathered into groups for `compare` (issue 25): left / centre / right, one
country's press, one owner's titles.

A grouping comes from a CSV of ``outlet,group`` (``--groups FILE``, ``read_grouping``) or
from the records' own ``group`` field (``record_grouping``). ``regroup`` gives the run with
each post's outlet replaced by its group, so every table of a comparison (analysis.compare,
analysis.voices, analysis.figures) is made per group by the same code that makes it per
outlet.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ...types import Post, Run
from .outlets import outlet_of


@dataclass(frozen=True)
class Grouping:
    """Outlets gathered into groups (left / centre / right, one country's press, one
    owner's titles): every table of a comparison is also made per group (issue 25)."""

    name: str  # the file's stem: "ideology" for ideology.csv
    path: str
    sha256: str  # of the file's bytes, so a published result names the mapping it used
    mapping: dict[str, str]  # outlet -> group

    def group_of(self, outlet: str) -> str:
        return self.mapping.get(outlet, UNGROUPED)


UNGROUPED = "(no group)"  # an outlet the grouping file does not name


def read_grouping(path: str | Path) -> Grouping:
    """A CSV with an ``outlet`` and a ``group`` column (header names matched without regard
    to case; other columns ignored). InputError, naming the file and line, for a file
    that cannot be read, a missing column, an empty value, or an outlet given two groups."""
    path = Path(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the grouping file: {exc}", path=str(path)) from exc
    rows = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(rows, [])]
    if "outlet" not in header or "group" not in header:
        raise InputError(
            f"a grouping file needs an 'outlet' and a 'group' column, found {header}",
            path=str(path),
            line=1,
        )
    at_outlet, at_group = header.index("outlet"), header.index("group")
    mapping: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(at_outlet, at_group):
            raise InputError(f"row has {len(row)} fields", path=str(path), line=line)
        outlet, group = row[at_outlet].strip(), row[at_group].strip()
        if not outlet or not group:
            raise InputError("an empty outlet or group", path=str(path), line=line)
        if mapping.get(outlet, group) != group:
            raise InputError(
                f"outlet {outlet!r} is in group {mapping[outlet]!r} and {group!r}",
                path=str(path),
                line=line,
            )
        mapping[outlet] = group
    if not mapping:
        raise InputError("the grouping file names no outlet", path=str(path))
    return Grouping(path.stem, str(path), hashlib.sha256(data).hexdigest(), mapping)


def regroup(run: Run, grouping: Grouping) -> Run:
    """The run with each post's outlet replaced by its group: every table of a comparison
    made over it is that table per group (one definition of each table)."""
    posts = tuple(dataclasses.replace(p, source=grouping.group_of(outlet_of(p))) for p in run.posts)
    return dataclasses.replace(run, posts=posts)


RECORD_GROUPING = "group"  # the grouping the records' own `group` field makes


def record_grouping(posts: Iterable[Post]) -> Grouping | None:
    """The grouping the records give themselves (a `group` field on a JSONL or CSV record):
    None when no post has one. InputError when one outlet's records name two groups."""
    mapping: dict[str, str] = {}
    for post in sorted(posts, key=lambda p: p.sort_key):
        if post.group is None:
            continue
        outlet = outlet_of(post)
        if mapping.setdefault(outlet, post.group) != post.group:
            raise InputError(
                f"outlet {outlet!r} has records in group {mapping[outlet]!r} and "
                f"{post.group!r} (post {post.id}); one outlet, one group"
            )
    if not mapping:
        return None
    digest = hashlib.sha256(json.dumps(mapping, sort_keys=True).encode()).hexdigest()
    return Grouping(RECORD_GROUPING, "(the records' group field)", digest, mapping)
