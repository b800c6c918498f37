"""The archive beside a report: one page per thread (HTML and JSON) and an index of them all.

The main report shows a window: the threads active in the last ``report.window_days``
(reports.publish.recent_window). Every thread a run has described keeps its page in
``archive/threads/<id>.html`` and ``.json``, so nothing leaves the reports when it leaves
the window. A page is rewritten only when what it shows changed.

The index comes in blocks of ``BLOCK`` threads by id (``archive/index/t-001000.json`` and
``.html``: each thread's label, dates, posts, status and the digest of its page), since
thread ids grow with time: a run reads and rewrites only the blocks of the threads it
described, mostly the newest, so its cost does not grow with the store. ``index.html``
lists the blocks with their dates and sizes (``blocks.json``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..types import Run
from .files import write_all_atomic
from .graph import Graph
from .render import PostRow, ThreadRow, environment, report_dict
from .values import safe_url

FOLDER = "archive"
PAGE_SCHEMA = "storythreads.thread/1"
INDEX_SCHEMA = "storythreads.archive/2"
BLOCK = 1000  # threads per block of the index
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def block_of(thread_id: str) -> str:
    """The index block of a thread: ``t-001000`` holds t-001000 .. t-001999."""
    match = _NUMBERED.match(thread_id)
    if not match:
        return "other"
    prefix, digits = match.groups()
    return f"{prefix}{int(digits) // BLOCK * BLOCK:0{len(digits)}d}"


def write_archive(
    run: Run,
    out_dir: str | Path,
    formats: Collection[str] = ("json", "html"),
    graph: Graph | None = None,
) -> dict[str, int]:
    """Write the pages of ``run``'s threads that changed, and their index blocks; return
    counts (threads whose pages were written, threads unchanged, threads in the archive).
    Pages are written in the report ``formats`` among json and html; the index blocks'
    JSON, which records what each page shows, always."""
    as_json, as_html = "json" in formats, "html" in formats
    folder = Path(out_dir) / FOLDER
    pages = folder / "threads"
    pages.mkdir(parents=True, exist_ok=True)
    (folder / "index").mkdir(exist_ok=True)
    data = report_dict(run, graph)
    ended = {e.thread_id: e.event for e in run.lineage if e.event in ("merged", "retired")}
    touched = {block_of(t["id"]) for t in data["threads"]} | {block_of(t) for t in ended}
    blocks = {b: _read_block(folder, b) for b in sorted(touched)}
    posts = {p["id"]: p for p in data["posts"]}
    files: list[tuple[Path, bytes]] = []
    kept = written = 0
    for t in data["threads"]:
        members = sorted(
            (posts[i] for i in (*t["posts"], *t["also_posts"]) if i in posts),
            key=lambda p: (p["published"] is None, p["published"] or "", p["id"]),
        )
        page = {"thread": t, "posts": members}
        digest = hashlib.sha256(_json(page).encode()).hexdigest()[:16]
        block = blocks[block_of(t["id"])]
        same = block.get(t["id"], {}).get("digest") == digest
        block[t["id"]] = _entry(t, digest)
        if same and all(
            (pages / f"{t['id']}.{fmt}").exists() for fmt in formats if fmt in ("json", "html")
        ):
            kept += 1
            continue
        page = {"schema": PAGE_SCHEMA, "run": data["run"]["id"], **page}
        written += 1
        if as_json:
            files.append((pages / f"{t['id']}.json", (_json(page) + "\n").encode()))
        if as_html:
            files.append((pages / f"{t['id']}.html", _thread_html(t, members).encode()))
    for tid, event in ended.items():  # threads that ended keep their page; the index says so
        block = blocks[block_of(tid)]
        if tid in block:
            block[tid] = {**block[tid], "status": event}
    summary = _read_json(folder / "blocks.json", {}).get("blocks", {})
    index_files = []
    for name, block in blocks.items():
        rows = sorted(block.values(), key=lambda r: (r["last_seen"] or "", r["id"]), reverse=True)
        index_files.append(
            (
                folder / "index" / f"{name}.json",
                _block_json({"schema": INDEX_SCHEMA, "threads": rows}),
            )
        )
        if as_html:
            index_files.append(
                (folder / "index" / f"{name}.html", _index_html(rows, name).encode())
            )
        dates = [r["last_seen"] for r in rows if r["last_seen"]]
        firsts = [r["first_seen"] for r in rows if r["first_seen"]]
        summary[name] = {
            "threads": len(rows),
            "first_seen": min(firsts, default=None),
            "last_seen": max(dates, default=None),
        }
    listing = [{"block": name, **summary[name]} for name in sorted(summary, reverse=True)]
    index_files.append(
        (folder / "blocks.json", _block_json({"schema": INDEX_SCHEMA, "blocks": summary}))
    )
    if as_html:
        index_files.append((folder / "index.html", _blocks_html(listing).encode()))
    # pages are many and each is whole or absent: renamed into place without a sync each;
    # the index, which says which pages are current, is synced and renamed last
    write_all_atomic(files, durable=False)
    write_all_atomic(index_files)
    total = sum(entry["threads"] for entry in summary.values())
    return {"written": written, "unchanged": kept, "threads": total}


def read_index(folder: Path) -> dict[str, dict[str, Any]]:
    """Thread id -> its index entry, over every block (the whole archive: for tools and
    tests; a run reads only the blocks it writes)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((Path(folder) / "index").glob("*.json")):
        found.update(_read_block(Path(folder), path.stem))
    return found


def _read_block(folder: Path, name: str) -> dict[str, dict[str, Any]]:
    """One block's entries; empty when it is missing or unreadable (its threads' pages are
    then written afresh)."""
    data = _read_json(folder / "index" / f"{name}.json", {})
    try:
        return {r["id"]: r for r in data["threads"]}
    except (KeyError, TypeError):
        return {}


def _read_json(path: Path, default: object) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _block_json(value: object) -> bytes:
    return (_json(value) + "\n").encode()


def _entry(t: ThreadRow, digest: str) -> dict[str, Any]:
    return {
        "id": t["id"],
        "label": t["label"],
        "status": t["status"],
        "first_seen": t["first_seen"],
        "last_seen": t["last_seen"],
        "posts": len(t["posts"]),
        "file": f"../threads/{t['id']}.html",
        "digest": digest,
    }


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _thread_html(t: ThreadRow, posts: list[PostRow]) -> str:
    also = set(t["also_posts"])
    related = [
        {
            "thread_id": r["thread_id"],
            "file": f"{r['thread_id']}.html",
            "score": f"{r['score']:.2f}" if r["score"] is not None else "",
            "kinds": ", ".join(dict.fromkeys(x["kind"] for x in r["reasons"])),
        }
        for r in t["related"]
    ]
    first, last = t["first_seen"] or "undated", t["last_seen"] or "undated"
    return (
        environment("html")
        .get_template("thread.html.j2")
        .render(
            t=t,
            # only http(s) URLs become links, as in report.html
            posts=[{**p, "also": p["id"] in also, "url": safe_url(p["url"])} for p in posts],
            related=related,
            span=first if first == last else f"{first} – {last}",
            block=block_of(t["id"]),
        )
    )


def _index_html(rows: list[dict[str, Any]], block: str) -> str:
    return environment("html").get_template("archive.html.j2").render(rows=rows, block=block)


def _blocks_html(blocks: list[dict[str, Any]]) -> str:
    return environment("html").get_template("archive_blocks.html.j2").render(blocks=blocks)
